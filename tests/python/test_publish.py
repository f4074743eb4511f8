"""Write, audit, publish: dbt builds in place in a builder database that nothing copies, and the
published file holds only the marts (the history among them); a reader holding the published file
keeps working during a build, a build with a failing test leaves the published file as it was and
its marts and history do not reach a later publish, an old-design published file keeps its
history, a damaged builder is named, one publish runs at a time, a signalled or killed publish
leaves no dbt behind, and publish finds the project's profile."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "risk-segmentation"
# A publish of one seed (about 20 s): enough to see it run, lock and publish.
QUICK = ("--select", "rfm_segment_map", "--indirect-selection", "cautious")
EXIT_BUSY = 75  # publish.py: another publish of the same file is running
PUBLISHED_MARTS = [
    "segment_thresholds", "at_risk_customers", "rfm_segments", "return_risk_segments",
    "customer_segments", "segment_transitions", "segment_backtest", "repurchase_model_evaluation",
    "repurchase_calibration",
]  # fmt: skip


def run_publish(
    cwd: Path, database: Path, *dbt_args: str, log: Path | None = None, env: dict | None = None, options=()
):
    env = env if env is not None else {**os.environ, "DBT_PROFILES_DIR": str(cwd / "profiles")}
    command = [
        str(CLI), "publish", "--database", str(database), "--parquet-dir", str(database.parent / "parquet"), *options,
        "--", "--exclude", "resource_type:unit_test", "--target-path", str(database.parent / "target"),
        "--log-path", str(database.parent / "logs"), *dbt_args,
    ]  # fmt: skip
    if log is not None:  # run in the background, output to a file (a pipe nobody reads would fill and block)
        with log.open("w") as output:
            return subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def running(pid: int) -> bool:
    """pid is alive: neither gone nor a zombie (an orphan's zombie may never be reaped here)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def processes_mentioning(folder: Path) -> list[int]:
    """The live processes whose command line mentions a file in folder (a test's own)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if f"{folder}/" in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
    return [pid for pid in found if pid != os.getpid() and running(pid)]


def wait_until_dbt_builds(publish: subprocess.Popen, log: Path, folder: Path, timeout: float = 300) -> list[int]:
    """Wait until the publish's dbt runs nodes (writing into the building file); its pids."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert publish.poll() is None, f"publish ended before dbt ran:\n{log.read_text()[-3000:]}"
        if " START " in log.read_text():
            dbt = [pid for pid in processes_mentioning(folder) if pid != publish.pid]
            if dbt:
                return dbt
        time.sleep(0.2)
    raise AssertionError(f"dbt did not start within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def kill_leftovers() -> Iterator[Callable[[Path], None]]:
    """Folders whose processes are SIGKILLed after the test, so a failing test leaves no dbt running."""
    folders: list[Path] = []
    yield folders.append
    for folder in folders:
        for pid in processes_mentioning(folder):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def builder(database: Path) -> Path:
    return database.with_name(f"{database.stem}.builder.duckdb")


def query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.sql(sql).fetchall()


def history_by_date(database: Path) -> dict[str, int]:
    return dict(
        query(database, "select cast(valid_from as varchar), count(*) from customer_segments_history group by all")
    )


def file_state(database: Path) -> dict[str, object]:
    """What a reader of the published file could tell apart: its bytes, inode and modification time."""
    status = database.stat()
    return {"md5": hashlib.md5(database.read_bytes()).hexdigest(), "inode": status.st_ino, "mtime": status.st_mtime_ns}


def fingerprint(folder: Path) -> dict[str, str]:
    """md5 of every file under folder (links followed)."""
    return {
        str(path.relative_to(folder)): hashlib.md5(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample published once, as of the default as-of date."""
    database = tmp_path_factory.mktemp("published") / "shop.duckdb"
    done = run_publish(PROJECT_DIR, database)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    return database


def test_the_published_file_holds_the_marts_and_the_history_and_nothing_the_builder_keeps(
    published: Path, tmp_path: Path
) -> None:
    tables = query(published, "select table_schema, table_name, table_type from information_schema.tables")
    assert {schema for schema, _, _ in tables} == {"main", "main_seeds"}, "no staging or intermediate schema"
    assert {name for schema, name, _ in tables if schema == "main_seeds"} == {"rfm_segment_map", "risk_value_quadrants"}
    marts = {name for schema, name, _ in tables if schema == "main"}
    assert marts == {*PUBLISHED_MARTS, "customer_segments_history", "audit_customer_segments"}
    assert {kind for _, _, kind in tables} == {"BASE TABLE"}, "the audit view is published as its rows"
    customers = query(published, "select cast(max(as_of_date) as varchar), count(*) from customer_segments")
    assert history_by_date(published) == dict(customers), "a first build records every customer"
    assert query(published, "select count(*) from audit_customer_segments") == [(0,)]
    nullable = "select table_name, column_name from information_schema.columns where is_nullable = 'NO' order by all"
    assert query(published, nullable) == query(
        builder(published), nullable.replace("where", "where table_schema = 'main' and")
    )
    # The builder keeps the rest, for the next build.
    schemas = {row[0] for row in query(builder(published), "select schema_name from information_schema.schemata")}
    assert {"main", "main_staging", "main_intermediate", "main_seeds"} <= schemas
    # No raw personal data: no column named for it, and no text value the raw customers hold as email or name.
    columns = query(
        published, "select table_schema, table_name, column_name, data_type from information_schema.columns"
    )
    personal_names = {"email", "full_name", "first_name", "last_name", "name", "phone"}
    personal = [(table, column) for _, table, column, _ in columns if column in personal_names]
    assert personal == []
    raw = query(builder(published), "select lower(email), lower(full_name) from main_staging.stg_shop__customer_rows")
    raw_values = {value for row in raw for value in row if value}
    assert len(raw_values) > 1000
    for schema, table, column, data_type in columns:
        if data_type == "VARCHAR":
            values = {row[0] for row in query(published, f'select distinct lower("{column}") from {schema}."{table}"')}
            assert not values & raw_values, f"{table}.{column} holds raw personal data"
            assert not any("@" in value for value in values if value), f"{table}.{column} holds an email"
    # export reads the published file alone: the segment names come from the published seeds.
    from risk_segmentation import cli

    out = tmp_path / "at_risk.csv"
    assert cli.main(["export", "--database", str(published), "--segment", "at_risk", "--out", str(out)]) == 0
    assert out.read_text().startswith("customer_id,")


def dbt_build_into(database: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
    }
    env.pop("DBT_TARGET", None)
    command = [
        str(CLI.with_name("dbt")),
        "build",
        "--target-path",
        str(tmp_path / "target"),
        "--log-path",
        str(tmp_path),
    ]
    return subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)


def test_dbt_by_hand_never_writes_the_published_file(published: Path, tmp_path: Path) -> None:
    """dbt's dev target defaults to a private file (the README's hand build: tests/python/test_documented_workflow.py).
    Pointed at the published file's name, dbt stops before it opens it; pointed at any other file publish manages,
    it stops before a model runs."""
    profile = (PROJECT_DIR / "profiles" / "profiles.yml").read_text()
    assert "env_var('RISK_SEGMENTATION_DUCKDB_PATH', 'target/dev.duckdb')" in profile
    by_name = tmp_path / "risk_segmentation.duckdb"
    shutil.copy(published, by_name)
    before = file_state(by_name)
    done = dbt_build_into(by_name, tmp_path)
    assert done.returncode != 0
    assert "RISK_SEGMENTATION_DUCKDB_PATH_is_the_published_file_which_publish_alone_writes" in done.stdout
    assert file_state(by_name) == before

    tables = query(published, "select table_schema, table_name from information_schema.tables order by all")
    done = dbt_build_into(published, tmp_path)
    assert done.returncode != 0
    assert f"The DuckDB file {published} is published by `risk-segmentation publish`" in done.stdout
    assert "START sql" not in done.stdout and "START seed" not in done.stdout
    assert query(published, "select table_schema, table_name from information_schema.tables order by all") == tables


def test_a_reader_keeps_working_while_a_build_publishes_without_copying_the_builder(
    published: Path, tmp_path: Path
) -> None:
    reader = duckdb.connect(str(published), read_only=True)
    before = reader.sql("select distinct as_of_date from rfm_segments").fetchall()
    builder_inode = builder(published).stat().st_ino
    log = tmp_path / "publish.log"
    build = run_publish(PROJECT_DIR, published, "--vars", "{as_of_date: 2024-06-30}", log=log)
    reads = 0
    while build.poll() is None:
        assert not (published.parent / "shop.building.duckdb").exists(), "no copy of the database to build in"
        # The held connection and new ones opened mid-build both answer.
        assert reader.sql("select count(*) from customer_segments").fetchall()[0][0] > 0
        with duckdb.connect(str(published), read_only=True) as fresh:
            assert fresh.sql("select count(*) from rfm_segments").fetchall()[0][0] > 0
        reads += 1
        time.sleep(0.5)
    assert build.returncode == 0, log.read_text()[-5000:]
    assert reads > 5, "the build ran long enough to be read during it"
    assert reader.sql("select distinct as_of_date from rfm_segments").fetchall() == before
    reader.close()
    with duckdb.connect(str(published), read_only=True) as after:
        assert after.sql("select distinct as_of_date from rfm_segments").fetchall() == [(date(2024, 6, 30),)]
        parquet = published.parent / "parquet" / "customer_segments.parquet"
        assert after.sql(f"select distinct as_of_date from '{parquet}'").fetchall() == [(date(2024, 6, 30),)]
    assert builder(published).stat().st_ino == builder_inode, "dbt built in place: the builder was not copied"
    assert not (published.parent / "shop.publishing.duckdb").exists()
    assert not (published.parent / "shop.builder.duckdb.unpublished").exists()


def test_a_failed_build_leaves_the_published_file_as_it_was_and_reaches_no_later_publish(
    published: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns(".venv", "target", "logs", "*.duckdb", ".git", "parquet*")
    )
    (project / "tests" / "assert_this_build_fails.sql").write_text("select 1 as failure\n")
    history = history_by_date(published)
    as_of = query(published, "select distinct cast(as_of_date as varchar) from customer_segments")
    before = fingerprint(published.parent / "parquet") | file_state(published)
    # A later as-of date: every model builds and the history appends that date, in the builder.
    done = run_publish(project, published, "--vars", "{as_of_date: 2025-03-31}")
    assert done.returncode != 0
    assert "assert_this_build_fails" in done.stdout
    assert "are unchanged" in done.stderr
    assert fingerprint(published.parent / "parquet") | file_state(published) == before
    assert not (published.parent / "shop.publishing.duckdb").exists()
    assert "2025-03-31" in history_by_date(builder(published)), "the failed build's versions are in the builder"

    # The next publish builds a seed only: it publishes the last published marts and history, not the failed
    # build's, and the history records the next builds from where the published one stands.
    done = run_publish(PROJECT_DIR, published, *QUICK, options=["--no-parquet"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "was not published: its marts become the published ones again" in done.stdout
    assert history_by_date(published) == history_by_date(builder(published)) == history
    assert query(published, "select distinct cast(as_of_date as varchar) from customer_segments") == as_of


def test_a_second_publish_stops_at_once_while_one_is_running(tmp_path: Path) -> None:
    database = tmp_path / "shop.duckdb"
    running_files = {tmp_path / "shop.builder.duckdb": b"its builder", tmp_path / "shop.publishing.duckdb": b"its copy"}
    for path, content in running_files.items():
        path.write_bytes(content)
    with (tmp_path / "shop.duckdb.publish.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as the running publish holds it
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        began = time.monotonic()
        done = run_publish(PROJECT_DIR, database, *QUICK, options=["--no-parquet"])
        elapsed = time.monotonic() - began
    assert done.returncode == EXIT_BUSY, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"another publish of {database} is running (pid {os.getpid()}" in done.stderr
    assert elapsed < 15, "it stopped at once, without running dbt"
    assert {path: path.read_bytes() for path in running_files} == running_files, "the running publish's files"
    assert not database.exists()


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signalled_publish_stops_its_dbt_and_publishes_nothing(
    published: Path, tmp_path: Path, signal_number: int, kill_leftovers: Callable[[Path], None]
) -> None:
    folder = published.parent
    kill_leftovers(folder)
    before = fingerprint(folder / "parquet") | {"db": hashlib.md5(published.read_bytes()).hexdigest()}
    log = tmp_path / "publish.log"
    build = run_publish(PROJECT_DIR, published, log=log)
    dbt = wait_until_dbt_builds(build, log, folder)
    build.send_signal(signal_number)
    returncode = build.wait(timeout=60)  # dbt gets 30 s to stop before SIGKILL
    assert not [pid for pid in dbt if running(pid)], "dbt stopped with publish"
    assert processes_mentioning(folder) == []
    assert returncode == 128 + signal_number, log.read_text()[-3000:]
    assert f"stopped by {signal.Signals(signal_number).name}" in log.read_text()
    assert not (folder / "shop.publishing.duckdb").exists()
    assert (folder / "shop.builder.duckdb.unpublished").exists(), "the next publish resets the builder's marts"
    after = fingerprint(folder / "parquet") | {"db": hashlib.md5(published.read_bytes()).hexdigest()}
    assert after == before


def test_a_killed_publish_takes_its_dbt_along_and_the_next_publish_runs(
    tmp_path: Path, kill_leftovers: Callable[[Path], None]
) -> None:
    kill_leftovers(tmp_path)
    database = tmp_path / "shop.duckdb"
    log = tmp_path / "publish.log"
    build = run_publish(PROJECT_DIR, database, log=log)
    dbt = wait_until_dbt_builds(build, log, tmp_path)
    build.kill()  # SIGKILL: publish cannot clean up, the kernel stops its dbt (PR_SET_PDEATHSIG)
    build.wait(timeout=10)
    deadline = time.monotonic() + 15
    while [pid for pid in dbt if running(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in dbt if running(pid)], "dbt died with publish"
    assert processes_mentioning(tmp_path) == []
    done = run_publish(PROJECT_DIR, database, *QUICK, options=["--no-parquet"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (tmp_path / "shop.publishing.duckdb").exists()
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql("select count(*) from main_seeds.rfm_segment_map").fetchall()[0][0] > 0


@pytest.mark.parametrize("where", ["project", "elsewhere"])
def test_publish_finds_the_project_profile_by_itself(tmp_path: Path, where: str) -> None:
    """No DBT_PROFILES_DIR and no ~/.dbt: publish reads the project's profiles/, from the project
    folder or, installed editable from this checkout, from anywhere."""
    env = {name: value for name, value in os.environ.items() if name not in ("DBT_PROFILES_DIR", "DBT_PROJECT_DIR")}
    env["HOME"] = str(tmp_path)
    database = tmp_path / "shop.duckdb"
    cwd = PROJECT_DIR if where == "project" else tmp_path
    done = run_publish(cwd, database, *QUICK, env=env, options=["--no-parquet"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"== published {database}" in done.stdout
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql("select count(*) from main_seeds.rfm_segment_map").fetchall()[0][0] > 0


def test_a_published_file_of_the_earlier_design_keeps_its_history(published: Path, tmp_path: Path) -> None:
    """Before the builder, the published file was the whole database, the segment history in it: with
    no builder yet, publish starts one from it, once."""
    database = tmp_path / "shop.duckdb"
    with duckdb.connect() as con:  # everything dbt made, as the earlier design published it
        con.execute(f"attach '{builder(published)}' as shop (read_only)")
        con.execute(f"attach '{database}' as earlier")
        con.execute("copy from database shop to earlier")
        con.execute(  # a version recorded by an earlier publish
            "insert into earlier.customer_segments_history select * replace (date '2024-12-01' as valid_from)"
            " from earlier.customer_segments_history"
            " where customer_id in (select min(customer_id) from earlier.customer_segments)"
        )
    history = history_by_date(database)
    assert "2024-12-01" in history
    done = run_publish(PROJECT_DIR, database, *QUICK, options=["--no-parquet"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"no builder yet: copying {database}" in done.stdout
    assert history_by_date(database) == history_by_date(builder(database)) == history
    assert query(database, "select count(*) from information_schema.schemata where schema_name = 'main_staging'") == [
        (0,)
    ]
    inode = builder(database).stat().st_ino
    again = run_publish(PROJECT_DIR, database, *QUICK, options=["--no-parquet"])
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "no builder yet" not in again.stdout
    assert builder(database).stat().st_ino == inode


def test_a_damaged_builder_is_named_and_publish_says_to_delete_it(tmp_path: Path) -> None:
    database = tmp_path / "shop.duckdb"
    database.write_bytes(b"the published file")
    builder(database).write_bytes(b"not a DuckDB file" * 1000)
    done = run_publish(PROJECT_DIR, database, *QUICK, options=["--no-parquet"])
    assert done.returncode == 2, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"the builder database {builder(database)} is damaged" in done.stderr
    assert "Delete it" in done.stderr
    assert "== building" not in done.stdout, "dbt did not run"
    assert database.read_bytes() == b"the published file"


def test_an_impossible_unquoted_date_in_vars_is_named_before_dbt_runs(tmp_path: Path, capsys) -> None:
    """dbt parses --vars as YAML before the project runs and stops with a traceback on 2024-02-30."""
    from risk_segmentation import cli

    database = tmp_path / "published.duckdb"
    with pytest.raises(SystemExit) as stopped:
        cli.main(["publish", "--database", str(database), "--", "--vars", "{as_of_date: 2024-02-30}"])
    assert stopped.value.code == 2
    message = "--vars '{as_of_date: 2024-02-30}' is not valid YAML (day is out of range for month)"
    assert message in capsys.readouterr().err
    assert not database.exists()
