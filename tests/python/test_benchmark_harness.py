"""The benchmark harness (benchmarks/run.py, benchmarks/alternatives.py).

Not a timed test: it checks what the harness reports, never how fast anything runs. A process
started straight from a large parent reports the parent's peak memory as its own (Linux keeps the
high-water mark across vfork and exec); the benchmark holds the day-one tables and every method's
rows, so its methods must start through the small measuring process. The daily benchmark's two
loads of each raw table hold every row of the shop exactly once; the goals table reads its
measures from the runs; duckdb_rules parses with the project's own patterns."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import duckdb
import jinja2
import pandas as pd
import pytest

from risk_segmentation.generator import GeneratorConfig, write

PROJECT_DIR = Path(__file__).resolve().parents[2]


def load_module(name: str, file: str):
    spec = importlib.util.spec_from_file_location(name, PROJECT_DIR / "benchmarks" / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def benchmark_module():
    return load_module("benchmark_run", "run.py")


@pytest.fixture(scope="module")
def dirty_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small shop with every kind of dirt (bad dates, re-exports), as the benchmark's Parquet."""
    folder = tmp_path_factory.mktemp("dirty_shop")
    write(GeneratorConfig(customers=400, seed=11), folder, "parquet")
    return folder


def test_a_method_reports_its_own_peak_memory_not_the_benchmarks(tmp_path: Path) -> None:
    run = benchmark_module()
    held = bytearray(600 * 1024 * 1024)  # the benchmark holding 600 MiB of tables and rows
    held[::4096] = b"\x01" * len(held[::4096])  # touched, so it is resident

    _, _, small_peak = run.measured(["true"], tmp_path / "true.log")
    allocate = "block = bytearray(200 * 1024 * 1024); block[::4096] = b'\\x01' * len(block[::4096])"
    wall, cpu, large_peak = run.measured([sys.executable, "-c", allocate], tmp_path / "python.log")

    assert small_peak < 100, f"`true` reported {small_peak:.0f} MiB: the benchmark's own memory"
    assert 200 <= large_peak < 400, f"a 200 MiB allocation reported {large_peak:.0f} MiB"
    assert wall > 0 and cpu > 0
    del held


def test_a_failing_method_stops_the_benchmark_naming_its_log(tmp_path: Path) -> None:
    run = benchmark_module()
    try:
        run.measured(["false"], tmp_path / "false.log")
    except RuntimeError as error:
        assert "false.log" in str(error)
    else:
        raise AssertionError("a failing method was measured as if it had worked")


def test_the_daily_loads_hold_every_row_of_the_shop_once(dirty_shop: Path, tmp_path: Path) -> None:
    run = benchmark_module()
    loads = run.daily_loads(dirty_shop, tmp_path)
    with duckdb.connect() as con:
        for table in run.RAW_TABLES:
            full, first, second = (
                f"read_parquet('{path}')"
                for path in [
                    dirty_shop / f"{table}.parquet",
                    loads / table / "0001.parquet",
                    loads / table / "0002.parquet",
                ]
            )
            counts = [con.execute(f"select count(*) from {rows}").fetchone()[0] for rows in (full, first, second)]
            # The generator signs nobody up in its last months: load 0002 may hold no customer.
            assert counts[1] > 0 and (counts[2] > 0 or table == "customers"), f"{table}: loads of {counts[1:]} rows"
            assert counts[0] == counts[1] + counts[2], f"{table}: {counts[0]} rows, loads of {counts[1:]}"
            # As multisets: the two loads together are the shop, and no row is in both.
            missing = f"select count(*) from (from {full} except all (from {first} union all from {second}))"
            extra = f"select count(*) from ((from {first} union all from {second}) except all from {full})"
            both = f"select count(*) from (from {first} intersect from {second})"
            for query, what in [(missing, "rows in no load"), (extra, "rows not in the shop"), (both, "rows in both")]:
                assert con.execute(query).fetchone()[0] == 0, f"{table}: {what}"
        # Load 0002 is the newest orders, their lines, and no line of an order of day one.
        orders = {name: f"read_parquet('{loads / 'orders' / name}')" for name in run.LOADS}
        lines = f"read_parquet('{loads / 'order_items' / '0002.parquet'}')"
        newest_first_day, oldest_second_day = con.execute(
            f"select (select max({run.day_text('ordered_at')}) from {orders['0001.parquet']}), "
            f"(select min({run.day_text('ordered_at')}) from {orders['0002.parquet']} "
            f"where try_cast({run.day_text('ordered_at')} as date) is not null)"
        ).fetchone()
        assert newest_first_day < oldest_second_day
        assert not con.execute(
            f"select 1 from {lines} where order_id in (select order_id from {orders['0001.parquet']}) limit 1"
        ).fetchall()

    written = (loads / "orders" / "0002.parquet").stat().st_mtime_ns
    assert run.daily_loads(dirty_shop, tmp_path) == loads
    assert (loads / "orders" / "0002.parquet").stat().st_mtime_ns == written, "the loads were written again"


def test_the_daily_raw_folder_holds_one_load_then_two(dirty_shop: Path, tmp_path: Path) -> None:
    run = benchmark_module()
    loads = run.daily_loads(dirty_shop, tmp_path)
    raw = tmp_path / "daily_raw"
    raw.mkdir()
    (raw / "orders.parquet").symlink_to(dirty_shop / "orders.parquet")  # the layout of an older harness

    run.stage_loads(raw, loads, 1)
    assert sorted(str(path.relative_to(raw)) for path in raw.rglob("*")) == sorted(
        [table for table in run.RAW_TABLES] + [f"{table}/0001.parquet" for table in run.RAW_TABLES]
    )
    run.stage_loads(raw, loads, 2)
    for table in run.RAW_TABLES:
        files = sorted(raw.joinpath(table).iterdir())
        assert [file.name for file in files] == run.LOADS
        assert all(file.is_file() and not file.is_symlink() for file in files)
        assert files[1].read_bytes() == (loads / table / "0002.parquet").read_bytes()


def test_the_data_test_share_is_read_from_run_results(tmp_path: Path) -> None:
    run = benchmark_module()
    results = [
        {"unique_id": "model.risk_segmentation.rfm_segments", "execution_time": 6.0},
        {"unique_id": "seed.risk_segmentation.rfm_segment_map", "execution_time": 1.0},
        {"unique_id": "test.risk_segmentation.unique_rfm_segments_customer_id.abc", "execution_time": 2.5},
        {"unique_id": "unit_test.risk_segmentation.rfm_segments.ties", "execution_time": 0.5},
    ]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    assert run.data_test_share(tmp_path / "run_results.json") == pytest.approx(0.25)


def test_the_goals_table_measures_every_size_run_and_says_not_run() -> None:
    run = benchmark_module()

    def runs(**walls: float) -> dict:
        return {method: run.Runs(wall=[wall], cpu=[wall], peak_mib=[1024.0]) for method, wall in walls.items()}

    small = runs(dbt_all=10, dbt_core=6, dbt_daily=3, duckdb_sql=1, duckdb_rules=3, polars_lazy=2)
    medium = runs(dbt_all=40, dbt_core=20, dbt_daily=4, duckdb_sql=4, duckdb_rules=10, polars_lazy=10)
    medium["dbt_tested"] = run.Runs(wall=[60.0], cpu=[60.0], peak_mib=[900.0], test_share=[0.3, 0.1, 0.15])
    rows = {line.split(" | ")[0].strip("| "): line for line in run.goals({"S": small, "M": medium}).splitlines()}

    assert (
        rows["dbt_core / duckdb_rules <= 1.5"]
        == "| dbt_core / duckdb_rules <= 1.5 | L | 2.00 | 2.00 | not run | not run |"
    )
    assert (
        rows["dbt_all peak memory < 4 GiB"]
        == "| dbt_all peak memory < 4 GiB | L | 1.00 GiB | 1.00 GiB | not run | not run |"
    )
    share = rows["data tests' share of dbt_tested node time <= 20%"]
    assert share.endswith("| M | - | 15.0% | not run | yes |"), share
    assert len(rows) == 2 + len(run.GOALS)

    large = runs(dbt_core=25, dbt_daily=20, duckdb_rules=10, polars_lazy=10)
    large["dbt_day_one"] = run.Runs(wall=[100.0], cpu=[100.0], peak_mib=[5000.0])
    rows = {line.split(" | ")[0].strip("| "): line for line in run.goals({"L": large}).splitlines()}
    assert rows["dbt_daily / dbt_day_one <= 0.15"].endswith("| not run | not run | 0.20 | no |")
    assert rows["dbt_core / polars_lazy <= 2.5"].endswith("| 2.50 | yes |")
    assert rows["dbt_all / duckdb_sql <= 8"].endswith("| - | not run |")
    assert rows["dbt_day_one peak memory < 4 GiB"].endswith("| 4.88 GiB | no |")


def test_duckdb_rules_parses_with_the_projects_patterns() -> None:
    alternatives = load_module("benchmark_alternatives", "alternatives.py")
    patterns = []
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])
    environment.globals.update(
        {"return": lambda value: value, "regexp_matches": lambda expression, pattern: patterns.append(pattern) or ""}
    )

    def macros(file: str):
        return environment.from_string((PROJECT_DIR / "macros" / "cleaning" / file).read_text()).module

    assert str(macros("parse_timestamp.sql").timestamp_pattern()) == alternatives.TIMESTAMP_PATTERN
    macros("parse_decimal.sql").parse_decimal("x")
    assert patterns == [alternatives.DECIMAL_PATTERN]


def test_duckdb_rules_equals_the_plain_statement_on_a_clean_shop(tmp_path: Path) -> None:
    """On clean rows the project's rules reject nothing: the floor and the plain statement agree."""
    alternatives = load_module("benchmark_alternatives", "alternatives.py")
    write(GeneratorConfig(customers=400, seed=12, dirt=0), tmp_path, "parquet")
    outputs = []
    for method in ["duckdb_rules", "duckdb_sql"]:
        alternatives.METHODS[method](tmp_path, tmp_path / f"{method}.parquet")
        rows = pd.read_parquet(tmp_path / f"{method}.parquet").astype(str)
        outputs.append(rows.sort_values("customer_id").reset_index(drop=True))
    assert len(outputs[0]) > 300
    pd.testing.assert_frame_equal(outputs[0], outputs[1])
