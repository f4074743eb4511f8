"""Write, audit, publish: a reader holding the published file keeps working during a build, and a
build with a failing test leaves the published marts unchanged."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "risk-segmentation"


def run_publish(project: Path, database: Path, *dbt_args: str, log: Path | None = None):
    env = {**os.environ, "DBT_PROFILES_DIR": str(project / "profiles")}
    command = [
        str(CLI), "publish", "--database", str(database), "--parquet-dir", str(database.parent / "parquet"),
        "--", "--exclude", "resource_type:unit_test", "--target-path", str(database.parent / "target"),
        "--log-path", str(database.parent / "logs"), *dbt_args,
    ]  # fmt: skip
    if log is not None:  # run in the background, output to a file (a pipe nobody reads would fill and block)
        with log.open("w") as output:
            return subprocess.Popen(command, cwd=project, env=env, stdout=output, stderr=subprocess.STDOUT)
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)


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
