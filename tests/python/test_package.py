"""The project used as a dbt package: a host project installs it, points vars at its raw tables and builds.

A host project is written to a temporary folder with its own profile, target schema and raw tables
in DuckDB; it lists this project in packages.yml as a local package, runs `dbt deps` and `dbt build`
(every model, seed and test of the package, inside the host), and every published mart, the segment
history among them, must equal a stand-alone build of this project on the same raw tables. Both are
built as of an earlier date first, so the history and the transitions hold two dates.

A second host project supplies its own order status vocabulary and RFM segment map (seeds of the same
names, the package's own disabled: README "Use it inside your dbt project"), and its marts follow
them. `risk-segmentation export` and `report` find the marts and seeds of the host's DuckDB file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import DBT, PROJECT_DIR
from risk_segmentation.generator import GeneratorConfig, write
from risk_segmentation.publish import PUBLISHED_MARTS

# Every mart publish puts in the published file, and the segment history, which lives beside them.
# Nothing is left out.
MARTS = [*PUBLISHED_MARTS, "customer_segments_history"]
RAW_TABLES = ["customers", "orders", "order_items", "returns"]
EARLIER_AS_OF = "2024-09-30"  # the data ends 2024-12-31: a first build three months before the default
CLI = Path(sys.executable).parent / "risk-segmentation"

# The overriding host's segment map: three segments of its own, every (R, F, M) in exactly one.
HOST_SEGMENT_MAP = """\
rfm_segment,r_score_min,r_score_max,f_score_min,f_score_max,m_score_min,m_score_max,segment_priority,churn_risk,recommended_action
regulars,3,5,3,5,,,1,low,Keep them close
newcomers,3,5,1,2,,,2,low,Ask for a second order
drifting,1,2,1,5,,,3,high,Win them back
"""
HOST_SEGMENTS = ["regulars", "newcomers", "drifting"]
# The overriding host's own spelling: the generator writes `pending_review`, which the package rejects.
HOST_STATUS = ("pending_review", "placed")
# dbt 1.11 warns about every package node that refs a root project node; here that is the point.
SILENCE = """\
flags:
  warn_error_options:
    silence: [PackageNodeDependsOnRootProjectNode]
"""
# dbt's future ref search order (the package's own nodes first), off by default in dbt 1.11.
FUTURE_ORDER = """\
flags:
  require_ref_searches_node_package_before_root: true
"""
HOST_OVERRIDES = """\
seeds:
  risk_segmentation:
    segmentation:
      rfm_segment_map:
        +enabled: false
    vocabularies:
      order_status_synonyms:
        +enabled: false
  host_shop:
    rfm_segment_map:
      +column_types:
        r_score_min: integer
        r_score_max: integer
        f_score_min: integer
        f_score_max: integer
        m_score_min: integer
        m_score_max: integer
        segment_priority: integer
"""


def load_raw_tables(database: Path, raw_folder: Path) -> None:
    """The generated raw Parquet files as tables of schema shop_raw: a shop's EL-loaded raw schema."""
    with duckdb.connect(str(database)) as con:
        con.execute("create schema shop_raw")
        for table in RAW_TABLES:
            con.execute(f"create table shop_raw.{table} as select * from read_parquet('{raw_folder / table}.parquet')")


def write_host_project(folder: Path, database: Path, config: str) -> None:
    folder.mkdir()
    (folder / "dbt_project.yml").write_text(
        "name: host_shop\nversion: '1.0.0'\nprofile: host_shop\n" + config,
        encoding="utf-8",
    )
    (folder / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n", encoding="utf-8")
    (folder / "profiles.yml").write_text(
        "host_shop:\n  target: prod\n  outputs:\n    prod:\n"
        f"      type: duckdb\n      path: {database}\n      schema: analytics\n      threads: 2\n",
        encoding="utf-8",
    )


def run_host(folder: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "RISK_SEGMENTATION_"))}
    env["DBT_PROFILES_DIR"] = str(folder)
    return subprocess.run([DBT, *args], cwd=folder, env=env, capture_output=True, text=True, check=False)


def run_standalone(folder: Path, database: Path, *args: str) -> subprocess.CompletedProcess:
    """dbt in this project, into its own DuckDB file, target and log folders."""
    command = [DBT, *args, "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")]
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
        "DBT_TARGET": "dev",
    }
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), *args], capture_output=True, text=True, check=False)


def succeeded(done: subprocess.CompletedProcess) -> str:
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    return output


def earlier_run() -> list[str]:
    return [
        "build", "--select", "+segment_transitions", "--exclude", "resource_type:test", "resource_type:unit_test",
        "--vars", f"{{as_of_date: '{EARLIER_AS_OF}'}}",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def raw_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("package_raw")
    write(GeneratorConfig(customers=400, seed=23), folder, "parquet")
    return folder


@pytest.fixture(scope="module")
def host_database(raw_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A host project's build, as of EARLIER_AS_OF and then with every model, seed and test."""
    folder = tmp_path_factory.mktemp("package_host")
    database = folder / "host.duckdb"
    load_raw_tables(database, raw_folder)
    host = folder / "host"
    write_host_project(host, database, "vars:\n  risk_segmentation:\n    raw_schema: shop_raw\n")
    succeeded(run_host(host, "deps"))
    succeeded(run_host(host, *earlier_run()))
    succeeded(run_host(host, "build"))
    return database


@pytest.fixture(scope="module")
def standalone_database(raw_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This project built on the same raw tables, on the same two dates (its tests run elsewhere)."""
    folder = tmp_path_factory.mktemp("package_standalone")
    database = folder / "standalone.duckdb"
    load_raw_tables(database, raw_folder)
    raw_vars = ["--vars", "{raw_schema: shop_raw}"]
    earlier = earlier_run()
    earlier[-1] = f"{{raw_schema: shop_raw, as_of_date: '{EARLIER_AS_OF}'}}"
    succeeded(run_standalone(folder, database, *earlier))
    succeeded(run_standalone(folder, database, "build", "--exclude", "resource_type:test", "resource_type:unit_test",
                             *raw_vars))  # fmt: skip
    return database


@pytest.fixture(scope="module")
def overriding_host(raw_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A host project with its own order_status_synonyms and rfm_segment_map: (database, project, dbt output)."""
    folder = tmp_path_factory.mktemp("package_override")
    database = folder / "host.duckdb"
    load_raw_tables(database, raw_folder)
    host = folder / "host"
    raw_vars = "vars:\n  risk_segmentation:\n    raw_schema: shop_raw\n"
    write_host_project(host, database, raw_vars + SILENCE + HOST_OVERRIDES)
    (host / "seeds").mkdir()
    (host / "seeds" / "rfm_segment_map.csv").write_text(HOST_SEGMENT_MAP, encoding="utf-8")
    statuses = (PROJECT_DIR / "seeds" / "vocabularies" / "order_status_synonyms.csv").read_text(encoding="utf-8")
    (host / "seeds" / "order_status_synonyms.csv").write_text(
        statuses.rstrip("\n") + "\n" + ",".join(HOST_STATUS) + "\n"
    )
    succeeded(run_host(host, "deps"))
    # Its data tests check the host's seeds; the unit tests, which give their own rows, ran in host_database.
    output = succeeded(run_host(host, "build", "--exclude", "resource_type:unit_test"))
    return database, host, output


def test_a_host_project_builds_the_marts_of_a_stand_alone_build(host_database: Path, standalone_database: Path) -> None:
    # The host's own target schema and schema naming, not the project's profile.
    with duckdb.connect(str(host_database), read_only=True) as con:
        schemas = {
            row[0] for row in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
        # The demo sample is not loaded in a host project.
        sample = con.execute("select count(*) from information_schema.tables where table_name like 'raw_%'").fetchone()
    assert {"analytics", "analytics_staging", "analytics_intermediate", "analytics_seeds"} <= schemas
    assert sample[0] == 0

    with duckdb.connect(str(host_database), read_only=True) as con:
        con.execute(f"attach '{standalone_database}' as standalone (read_only)")
        dates = con.execute("select count(distinct valid_from) from analytics.customer_segments_history").fetchone()
        assert dates[0] == 2
        for mart in MARTS:
            host_rows = con.execute(f"select count(*) from analytics.{mart}").fetchone()[0]
            standalone_rows = con.execute(f"select count(*) from standalone.main.{mart}").fetchone()[0]
            assert host_rows == standalone_rows > 0, mart
            for left, right in [
                (f"analytics.{mart}", f"standalone.main.{mart}"),
                (f"standalone.main.{mart}", f"analytics.{mart}"),
            ]:
                differing = con.execute(f"select count(*) from (select * from {left} except all select * from {right})")
                assert differing.fetchone()[0] == 0, f"{mart}: rows of {left} not in {right}"


def test_a_host_project_supplies_its_own_vocabulary_and_segment_map(
    overriding_host: tuple[Path, Path, str], host_database: Path
) -> None:
    database, _, output = overriding_host
    assert "depends on the root project node" not in output  # silenced as README says
    spelling = f"status={HOST_STATUS[0]}(;|$)"
    with duckdb.connect(str(database), read_only=True) as con:
        con.execute(f"attach '{host_database}' as plain (read_only)")
        # The host's seeds are the ones built and read; the package's two are not built.
        assert set(con.execute("select table_schema, table_name from information_schema.tables "
                               "where table_name in ('rfm_segment_map', 'order_status_synonyms') "
                               "and table_catalog = current_database()").fetchall()) == {
            ("analytics", "rfm_segment_map"), ("analytics", "order_status_synonyms"),
        }  # fmt: skip
        # The host's spelling is accepted: rejected by the package's vocabulary, staged with the host's.
        rejected = (
            "select count(*) from {}.analytics_staging.stg_shop__rejected_rows "
            "where rejection_reason = 'unknown_status' and regexp_matches(raw_values, ?)"
        )
        assert con.execute(rejected.format("plain"), [spelling]).fetchone()[0] > 0
        assert con.execute(rejected.format("host"), [spelling]).fetchone()[0] == 0
        # ... and its orders count: more counted orders than the plain host's build.
        orders = "select sum(frequency) from {}.analytics.rfm_segments"
        assert con.execute(orders.format("host")).fetchone()[0] > con.execute(orders.format("plain")).fetchone()[0]
        # The marts name the host's segments, by the host's score ranges, with the host's churn risk.
        segments = con.execute("select distinct rfm_segment from analytics.rfm_segments").fetchall()
        assert {row[0] for row in segments} == set(HOST_SEGMENTS)
        misplaced = con.execute("""
            select count(*) from analytics.rfm_segments
            where rfm_segment <> case when r_score <= 2 then 'drifting' when f_score >= 3 then 'regulars'
                else 'newcomers' end""").fetchone()[0]
        assert misplaced == 0
        churn = con.execute("""
            select rfm_segment, bool_and(churn_risk = 'high') from analytics.customer_segments
            where rfm_segment is not null group by rfm_segment""").fetchall()
        assert dict(churn)["drifting"] is True and dict(churn)["regulars"] is False
        for mart in MARTS:
            assert con.execute(f"select count(*) from analytics.{mart}").fetchone()[0] > 0 or mart == (
                "segment_transitions"  # one build records no move
            ), mart


def test_the_override_holds_under_dbts_future_ref_search_order(overriding_host: tuple[Path, Path, str]) -> None:
    """With the behaviour change flag that makes a package's refs look in the package first (off in dbt
    1.11, to become the default), the package's models still read the host's seeds: the package's own are
    disabled, so the search goes on to the root project."""
    _, host, _ = overriding_host
    flagged = host.parent / "flagged"
    shutil.copytree(host, flagged, ignore=shutil.ignore_patterns("target", "logs"), symlinks=True)
    project = flagged / "dbt_project.yml"
    project.write_text(project.read_text().replace(SILENCE, FUTURE_ORDER))
    parsed = run_host(flagged, "ls", "--resource-type", "seed", "--select", "+rfm_segments", "+stg_shop__order_rows",
                      "--output", "json", "--output-keys", "unique_id")  # fmt: skip
    output = succeeded(parsed)
    seeds = {json.loads(line)["unique_id"] for line in parsed.stdout.splitlines() if line.startswith("{")}
    assert {"seed.host_shop.rfm_segment_map", "seed.host_shop.order_status_synonyms"} <= seeds, output
    assert not seeds & {"seed.risk_segmentation.rfm_segment_map", "seed.risk_segmentation.order_status_synonyms"}
    assert "WARNING" not in output


def test_export_and_report_find_the_schemas_of_a_host_build(host_database: Path, tmp_path: Path) -> None:
    out = tmp_path / "at_risk.csv"
    succeeded(cli("export", "--database", str(host_database), "--segment", "at_risk", "--out", str(out)))
    with duckdb.connect(str(host_database), read_only=True) as con:
        expected = con.execute("select count(*) from analytics.customer_segments where rfm_segment = 'at_risk'")
        customers = expected.fetchone()[0]
        exported = con.execute(f"select count(*), min(rfm_segment), max(rfm_segment) from read_csv('{out}')")
        assert exported.fetchone() == (customers, "at_risk", "at_risk") and customers > 0
    # A valid name is checked against the seed in analytics_seeds; an unknown one is refused.
    refused = cli("export", "--database", str(host_database), "--segment", "regulars", "--out", str(out))
    assert refused.returncode == 2 and "unknown rfm_segment 'regulars'; valid: champions," in refused.stderr
    quadrant = cli("export", "--database", str(host_database), "--dimension", "risk_value_quadrant",
                   "--segment", "save", "--out", str(tmp_path / "save.parquet"))  # fmt: skip
    succeeded(quadrant)

    page = tmp_path / "report.html"
    done = succeeded(cli("report", "--database", str(host_database), "--out", str(page)))
    assert "9 charts ->" in done
    assert 'id="transitions"' in page.read_text(encoding="utf-8")


def test_export_reads_the_host_segment_map(overriding_host: tuple[Path, Path, str], tmp_path: Path) -> None:
    database = overriding_host[0]
    out = tmp_path / "drifting.csv"
    succeeded(cli("export", "--database", str(database), "--segment", "drifting", "--out", str(out)))
    refused = cli("export", "--database", str(database), "--segment", "champions", "--out", str(out))
    assert refused.returncode == 2
    assert "unknown rfm_segment 'champions'; valid: regulars, newcomers, drifting" in refused.stderr
    succeeded(cli("report", "--database", str(database), "--out", str(tmp_path / "report.html")))


def test_export_and_report_need_schema_when_the_marts_are_in_several(host_database: Path, tmp_path: Path) -> None:
    database = tmp_path / "two.duckdb"
    shutil.copy(host_database, database)
    with duckdb.connect(str(database)) as con:
        con.execute("create schema analytics_dev")
        con.execute("create table analytics_dev.customer_segments as select * from analytics.customer_segments")
    out = tmp_path / "x.csv"
    for command in (["export", "--out", str(out)], ["report", "--out", str(tmp_path / "r.html")]):
        done = cli(*command, "--database", str(database))
        assert done.returncode == 2
        expected = "holds customer_segments in 2 schemas (analytics, analytics_dev): choose one with --schema"
        assert expected in done.stderr
        wrong = cli(*command, "--database", str(database), "--schema", "main")
        assert wrong.returncode == 2 and "has no customer_segments in schema main" in wrong.stderr
        succeeded(cli(*command, "--database", str(database), "--schema", "analytics"))
    # The report needs every mart in the schema it is given.
    done = cli("report", "--database", str(database), "--schema", "analytics_dev", "--out", str(tmp_path / "r.html"))
    assert done.returncode == 2 and "lacks the marts rfm_segments" in done.stderr and "analytics_dev" in done.stderr

    empty = tmp_path / "raw_only.duckdb"
    with duckdb.connect(str(empty)) as con:
        con.execute("create table customers as select 1 as customer_id")
    done = cli("export", "--database", str(empty), "--out", str(out))
    assert done.returncode == 2 and "holds no customer_segments" in done.stderr


def test_a_host_project_without_raw_vars_is_told_what_to_set(tmp_path: Path) -> None:
    host = tmp_path / "host"
    write_host_project(host, tmp_path / "host.duckdb", "")
    assert run_host(host, "deps").returncode == 0
    built = run_host(host, "build")
    output = built.stdout + built.stderr
    assert built.returncode != 0
    assert "risk_segmentation is installed as a package of project 'host_shop': set var raw_schema" in output
