"""Write, audit, publish: a reader holding the published file keeps working during a build, a
build with a failing test leaves the published marts unchanged, one publish runs at a time,
a signalled or killed publish leaves no dbt behind, and publish finds the project's profile."""

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


def test_a_reader_keeps_working_while_a_build_publishes(published: Path, tmp_path: Path) -> None:
    reader = duckdb.connect(str(published), read_only=True)
    before = reader.sql("select distinct as_of_date from rfm_segments").fetchall()
    log = tmp_path / "publish.log"
    build = run_publish(PROJECT_DIR, published, "--vars", "{as_of_date: 2024-06-30}", log=log)
    reads = 0
    while build.poll() is None:
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
    assert not (published.parent / "shop.building.duckdb").exists()


def test_a_build_with_a_failing_test_leaves_the_published_marts_unchanged(published: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns(".venv", "target", "logs", "*.duckdb", ".git", "parquet*")
    )
    (project / "tests" / "assert_this_build_fails.sql").write_text("select 1 as failure\n")
    before = fingerprint(published.parent / "parquet") | {"db": hashlib.md5(published.read_bytes()).hexdigest()}
    done = run_publish(project, published, "--vars", "{as_of_date: 2024-03-31}")
    assert done.returncode != 0
    assert "assert_this_build_fails" in done.stdout
    assert "are unchanged" in done.stderr
    after = fingerprint(published.parent / "parquet") | {"db": hashlib.md5(published.read_bytes()).hexdigest()}
    assert after == before
    assert not (published.parent / "shop.building.duckdb").exists()


def test_a_second_publish_stops_at_once_while_one_is_running(tmp_path: Path) -> None:
    database = tmp_path / "shop.duckdb"
    building = tmp_path / "shop.building.duckdb"
    building.write_bytes(b"the running publish's build")
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
    assert building.read_bytes() == b"the running publish's build", "the running publish's file is untouched"
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
    assert not (folder / "shop.building.duckdb").exists()
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
    assert not (tmp_path / "shop.building.duckdb").exists(), "the killed publish's building file is gone"
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
