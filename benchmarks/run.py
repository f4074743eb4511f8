"""Benchmark: the project's dbt build against the ways users would otherwise compute RFM and at-risk.

    .venv/bin/python benchmarks/run.py [--sizes S M L] [--repeats 3]

For each size it generates a clean shop with the project's generator (Parquet, cached in
benchmarks/data/), then runs every method `--repeats` times, interleaved, each in its own process:

- dbt_all: `dbt build` of every model and the snapshot (data and unit tests excluded: the other
  methods test nothing either);
- dbt_core: `dbt build` of only what rfm_segments and at_risk_customers need;
- dbt_daily: the daily incremental `dbt build` of every model: a database built (untimed here, but
  reported as dbt_day_one) from the shop without its newest 1% of orders (and their lines, the
  returns requested and customers created since) builds again after the whole shop arrives in the
  same raw folder (README "Daily builds");
- duckdb_sql, polars_lazy, pandas: benchmarks/alternatives.py.

Before reporting any time it checks that every method's rows equal the project's rfm_segments
(recency, frequency, monetary, scores, segment, at-risk flag) exactly: those of the first dbt method
run (dbt_all, unless --methods leaves it out). It reports the median wall
and CPU time and the peak memory of each method, and ratios, and writes benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
BIN = Path(sys.executable).parent
SIZES = {"S": 100_000, "M": 1_000_000, "L": 5_000_000}  # customers; about 10 orders each
METHODS = ["dbt_all", "dbt_core", "dbt_daily", "duckdb_sql", "polars_lazy", "pandas"]
RAW_TABLES = ["customers", "orders", "order_items", "returns"]
DAILY_SHARE = 0.01  # of the orders: the newest ones arrive on day two
COMPARED = [
    "customer_id", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score", "rfm_segment",
    "is_at_risk",
]  # fmt: skip
NO_TESTS = ["--exclude", "test_type:data", "test_type:unit"]


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mib: list[float] = field(default_factory=list)


# Runs one command and writes its wall seconds, CPU seconds and peak resident KiB to a file. The
# benchmark starts every method through this small process: a process started straight from the
# benchmark (vfork and exec) would report as its peak at least the benchmark's own, which holds the
# day-one tables it wrote and every method's rows; one forked from here starts small.
MEASURE = """
import os, subprocess, sys, time
started = time.monotonic()
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.monotonic() - started
with open(sys.argv[1], "w") as out:
    out.write(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def measured(command: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a command; its wall seconds, CPU seconds (user + system) and peak resident MiB."""
    figures = log.with_suffix(".measured")
    with open(log, "w") as output:
        completed = subprocess.run(
            [sys.executable, "-c", MEASURE, str(figures), *command],
            cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT, check=False,
        )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed; see {log}")
    wall, cpu, peak_kib = (float(value) for value in figures.read_text().split())
    return wall, cpu, peak_kib / 1024


def generate(size: str, data_dir: Path) -> Path:
    folder = data_dir / size
    if not (folder / "orders.parquet").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [str(BIN / "risk-segmentation"), "generate", "--customers", str(SIZES[size]), "--dirt", "0",
             "--format", "parquet", "--out", str(folder)],
            check=True,
        )  # fmt: skip
    return folder


def day_text(column: str) -> str:
    """The day a raw date text names, as YYYY-MM-DD (the generator writes some dates with slashes)."""
    return f"replace(left(trim({column}), 10), '/', '-')"


def day_one(folder: Path, work: Path) -> Path:
    """The shop the day before its newest DAILY_SHARE of orders arrived (cached beside the work files)."""
    day_one = work / "day_one"
    if not (day_one / "returns.parquet").exists():
        day_one.mkdir(exist_ok=True)
        raw = {table: f"read_parquet('{folder / table}.parquet')" for table in RAW_TABLES}
        with duckdb.connect() as con:
            con.execute("set memory_limit = '8GB'")
            cutoff = con.execute(
                f"select quantile_disc({day_text('ordered_at')}, {1 - DAILY_SHARE}) from {raw['orders']}"  # noqa: S608
            ).fetchone()[0]
            older = f"where {day_text('ordered_at')} < '{cutoff}'"
            con.execute(f"create table orders as select * from {raw['orders']} {older}")  # noqa: S608
            queries = {
                "customers": f"select * from {raw['customers']} where {day_text('created_at')} < '{cutoff}'",
                "orders": "select * from orders",
                "order_items": f"select * from {raw['order_items']} where order_id in (select order_id from orders)",
                "returns": f"select * from {raw['returns']} where {day_text('requested_at')} < '{cutoff}' "
                "and order_id in (select order_id from orders)",
            }
            for table, query in queries.items():
                con.execute(f"copy ({query}) to '{day_one / table}.parquet' (format parquet)")
    return day_one


def point_raw_folder(raw: Path, source: Path) -> None:
    """Make the raw folder hold the source's tables (symlinks): one raw_data_dir for both days."""
    raw.mkdir(exist_ok=True)
    for table in RAW_TABLES:
        link = raw / f"{table}.parquet"
        link.unlink(missing_ok=True)
        link.symlink_to(source / f"{table}.parquet")


def run_method(
    method: str, folder: Path, work: Path, day_one_runs: Runs | None = None
) -> tuple[tuple[float, float, float], pd.DataFrame]:
    """One timed run of a method; its measurements and its output rows."""
    log = work / f"{method}.log"
    if method.startswith("dbt_"):
        database = work / f"{method}.duckdb"
        database.unlink(missing_ok=True)
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            "DBT_TARGET": "dev",
            "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
        }
        select = ["--select", "+rfm_segments", "+at_risk_customers"] if method == "dbt_core" else []
        raw = folder
        if method == "dbt_daily":
            raw = work / "daily_raw"
            point_raw_folder(raw, day_one(folder, work))
        command = [
            str(BIN / "dbt"), "build", *select, *NO_TESTS, "--vars", f"{{raw_data_dir: '{raw}'}}",
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        ]  # fmt: skip
        timing = measured(command, log, env)
        if method == "dbt_daily":
            assert day_one_runs is not None
            for measure, value in zip(["wall", "cpu", "peak_mib"], timing, strict=True):
                getattr(day_one_runs, measure).append(value)
            point_raw_folder(raw, folder)
            timing = measured(command, work / f"{method}_day_two.log", env)
        with duckdb.connect(str(database), read_only=True) as con:
            rows = con.execute(f"select {', '.join(COMPARED)} from rfm_segments").df()  # noqa: S608
    else:
        out = work / f"{method}.parquet"
        timing = measured([sys.executable, str(BENCH_DIR / "alternatives.py"), method, str(folder), str(out)], log)
        rows = pd.read_parquet(out)
    return timing, rows


def canonical(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows[COMPARED].copy()
    rows["customer_id"] = rows["customer_id"].astype(str)
    for column in ["recency_days", "frequency", "r_score", "f_score", "m_score"]:
        rows[column] = rows[column].astype("int64")
    rows["monetary"] = rows["monetary"].astype(float).round(4)
    rows["rfm_segment"] = rows["rfm_segment"].astype(str)
    rows["is_at_risk"] = rows["is_at_risk"].astype(bool)
    return rows.sort_values("customer_id").reset_index(drop=True)


def check_agreement(method: str, rows: pd.DataFrame, project: pd.DataFrame) -> None:
    rows = canonical(rows)
    if len(rows) != len(project):
        raise AssertionError(f"{method}: {len(rows)} rows, the project's rfm_segments has {len(project)}")
    differing = {column: int((rows[column] != project[column]).sum()) for column in COMPARED}
    differing = {column: count for column, count in differing.items() if count}
    if differing:
        raise AssertionError(f"{method} disagrees with the project's rfm_segments: differing rows {differing}")


def benchmark(size: str, repeats: int, data_dir: Path, methods: list[str]) -> dict[str, Runs]:
    folder = generate(size, data_dir)
    work = data_dir / f"{size}_work"
    work.mkdir(parents=True, exist_ok=True)
    runs = {method: Runs() for method in methods}
    day_one_runs = Runs()
    project = None
    for repeat in range(repeats):
        for method in methods:
            (wall, cpu, peak), rows = run_method(method, folder, work, day_one_runs)
            if repeat == 0:
                if project is None:
                    project = canonical(rows)  # the first method, a dbt one: the project's own marts
                check_agreement(method, rows, project)
            runs[method].wall.append(wall)
            runs[method].cpu.append(cpu)
            runs[method].peak_mib.append(peak)
            print(f"{size} run {repeat + 1}/{repeats} {method}: {wall:.1f} s wall, {cpu:.1f} s CPU, {peak:.0f} MiB")
    if day_one_runs.wall:
        runs["dbt_day_one"] = day_one_runs  # the full build dbt_daily starts from
    return runs


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.platform()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, "
        f"duckdb {duckdb.__version__}"
    )


def ratio(numerator: float | None, denominator: float | None) -> str:
    return f"{numerator / denominator:.2f}" if numerator is not None and denominator else "-"


def table(results: dict[str, dict[str, Runs]]) -> str:
    lines = [
        "| size | method | wall s (median) | CPU s (median) | peak MiB (max) | wall / dbt_all | wall / dbt_core "
        "| wall / duckdb_sql |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, runs in results.items():
        wall = {method: statistics.median(measured_runs.wall) for method, measured_runs in runs.items()}
        for method, measured_runs in runs.items():
            lines.append(
                f"| {size} | {method} | {wall[method]:.1f} | {statistics.median(measured_runs.cpu):.1f} | "
                f"{max(measured_runs.peak_mib):.0f} | {ratio(wall[method], wall.get('dbt_all'))} | "
                f"{ratio(wall[method], wall.get('dbt_core'))} | "
                f"{ratio(wall[method], wall.get('duckdb_sql'))} |"
            )
    return "\n".join(lines)


def goals(results: dict[str, dict[str, Runs]]) -> str:
    """The issue's goals that these runs can measure, as ratios of medians from this run."""
    lines = ["| size | goal | measured | met |", "|---|---|---|---|"]
    for size, runs in results.items():
        wall = {method: statistics.median(measured_runs.wall) for method, measured_runs in runs.items()}
        # The full build: dbt_all, or without it the one dbt_daily starts from (1% fewer orders).
        full = "dbt_all" if "dbt_all" in runs else "dbt_day_one"
        checks = [
            ("dbt_core / polars_lazy <= 1", "dbt_core", "polars_lazy", 1.0, size == "L"),
            ("dbt_core / pandas <= 0.5", "dbt_core", "pandas", 0.5, size == "L"),
            ("dbt_all / duckdb_sql <= 2", "dbt_all", "duckdb_sql", 2.0, size in ("M", "L")),
            (f"dbt_daily / {full} <= 0.25", "dbt_daily", full, 0.25, size == "L"),
        ]
        for goal, numerator, denominator, limit, applies in checks:
            if applies and numerator in wall and denominator in wall:
                measured = wall[numerator] / wall[denominator]
                lines.append(f"| {size} | {goal} | {measured:.2f} | {'yes' if measured <= limit else 'no'} |")
        if size == "L" and full in runs:
            peak = max(runs[full].peak_mib) / 1024
            lines.append(f"| {size} | {full} peak memory < 4 GiB | {peak:.2f} GiB | {'yes' if peak < 4 else 'no'} |")
    return "\n".join(lines) if len(lines) > 2 else "No goal applies to these sizes and methods (set at M and L)."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["S", "M"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--methods", nargs="+", choices=METHODS, default=METHODS, help="run in the order listed above; give a dbt one"
    )
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    arguments = parser.parse_args()
    methods = sorted(set(arguments.methods), key=METHODS.index)  # a dbt method first: the reference
    if not methods[0].startswith("dbt_"):
        parser.error("--methods needs a dbt method: the others are checked against the project's marts")
    results = {size: benchmark(size, arguments.repeats, arguments.data_dir, methods) for size in arguments.sizes}
    report = (
        f"# Benchmark results\n\n{datetime.date.today()}, {machine()}; median of {arguments.repeats} interleaved runs; "
        f"every method's rows equal to the project's rfm_segments before timing was reported. "
        f"DuckDB memory limit for dbt: {os.environ.get('RISK_SEGMENTATION_DUCKDB_MEMORY_LIMIT', '3GB')}.\n\n"
        f"{table(results)}\n\n## Goals (issue 7)\n\n{goals(results)}\n"
    )
    arguments.out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
