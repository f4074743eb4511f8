"""Write, audit, publish on Postgres (publish_postgres.py), on a throwaway cluster with the shipped
sample loaded as raw tables: a publish makes the published schema with every mart and the history,
which the BI role reads and the builder schemas it cannot; a build with a failing test publishes
nothing and its history versions reach no later publish; a reader querying the marts throughout a
publish at another as-of date never fails and always sees one whole build; grants made by hand on
the published schema and a mart survive a publish; a second publish while one runs exits 75."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest

import postgres_server
from conftest import PROJECT_DIR
from risk_segmentation import publish_postgres
from risk_segmentation.generator import TABLES

needs_postgres = pytest.mark.skipif(postgres_server.available() is not None, reason=str(postgres_server.available()))

CLI = Path(sys.executable).parent / "risk-segmentation"
EXIT_BUSY = 75
PUBLISHED = "analytics"
BUILDER_SCHEMAS = [
    "analytics_builder",
    "analytics_builder_staging",
    "analytics_builder_intermediate",
    "analytics_builder_seeds",
]
BI_ROLE, AUDITOR = "bi_reader", "auditor"
RAW = "{raw_schema: shop_raw}"
PUBLISHED_TABLES = {
    "segment_thresholds", "at_risk_customers", "rfm_segments", "return_risk_segments", "customer_segments",
    "segment_transitions", "segment_backtest", "repurchase_model_evaluation", "repurchase_calibration",
    "customer_segments_history", "audit_customer_segments", "rfm_segment_map", "risk_value_quadrants",
}  # fmt: skip


@dataclass
class Cluster:
    env: dict[str, str]
    folder: Path
    project: Path  # a copy of the project, so a test can add a failing test to it
    connection: object  # autocommit, as the cluster's superuser (the one publish runs as)
    outputs: dict[str, object] = field(default_factory=dict)

    def connect(self, user: str = "postgres"):
        return psycopg2.connect(
            host=self.env["PGHOST"], port=self.env["PGPORT"], user=user, dbname=self.env["PGDATABASE"]
        )

    def query(self, statement: str, parameters=None) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            return cursor.fetchall()

    def execute(self, statement: str) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(statement)


def run_publish(cluster: Cluster, *dbt_args: str, log: Path | None = None, exclude: str = "resource_type:unit_test"):
    """risk-segmentation publish -- --target postgres, from the module's copy of the project."""
    env = {**os.environ, **cluster.env, "DBT_PROFILES_DIR": str(cluster.project / "profiles")}
    env["RISK_SEGMENTATION_BI_ROLES"] = BI_ROLE
    env.pop("RISK_SEGMENTATION_PG_SCHEMA", None)  # the profile's default: analytics
    command = [
        str(CLI), "publish", "--", "--target", "postgres", "--exclude", exclude,
        "--target-path", str(cluster.folder / "target"), "--log-path", str(cluster.folder / "logs"), *dbt_args,
    ]  # fmt: skip
    if log is not None:  # in the background, output to a file
        with log.open("w") as output:
            return subprocess.Popen(command, cwd=cluster.project, env=env, stdout=output, stderr=subprocess.STDOUT)
    return subprocess.run(command, cwd=cluster.project, env=env, capture_output=True, text=True, check=False)


def load_sample(connection) -> None:
    """The shipped sample's raw CSV files as text tables in shop_raw (warehouse mode, as test_postgres.py)."""
    with connection.cursor() as cursor:
        cursor.execute("create schema shop_raw")
        for name in TABLES:
            path = PROJECT_DIR / "seeds" / "sample" / f"raw_{name}.csv"
            header = path.open().readline().strip().split(",")
            cursor.execute(f"create table shop_raw.{name} ({', '.join(f'{column} text' for column in header)})")
            with path.open() as rows:
                cursor.copy_expert(f"copy shop_raw.{name} from stdin with (format csv, header true)", rows)
            # One load (an EL tool's load column): builds after the first stage nothing new.
            cursor.execute(
                f"alter table shop_raw.{name} add column _airbyte_extracted_at timestamptz not null"
                " default timestamptz '2024-06-01 00:00:00+00'"
            )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One cluster for the module: the sample's raw tables, the BI role and another reader role."""
    folder = tmp_path_factory.mktemp("publish_postgres")
    project = folder / "project"
    shutil.copytree(
        PROJECT_DIR, project, ignore=shutil.ignore_patterns(".venv", "target", "logs", "*.duckdb*", ".git", "parquet*")
    )
    with postgres_server.postgres_cluster() as env:
        connection = psycopg2.connect(host=env["PGHOST"], port=env["PGPORT"], user="postgres", dbname=env["PGDATABASE"])
        connection.autocommit = True
        load_sample(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"create role {BI_ROLE} login")
            cursor.execute(f"create role {AUDITOR} login")
        try:
            yield Cluster(env, folder, project, connection)
        finally:
            connection.close()


def history_by_date(cluster: Cluster, schema: str = PUBLISHED) -> dict[str, int]:
    return dict(cluster.query(f"select valid_from::text, count(*) from {schema}.customer_segments_history group by 1"))


def published_state(cluster: Cluster) -> dict[str, object]:
    """What a reader of the published schema could tell apart: each table's rows (as a hash), the as-of date."""
    tables = [row[0] for row in cluster.query("select tablename from pg_tables where schemaname = %s", [PUBLISHED])]
    state: dict[str, object] = {
        name: cluster.query(
            f"select count(*), md5(coalesce(string_agg(t::text, '|' order by t::text), ''))"
            f" from {PUBLISHED}.{name} as t"
        )[0]
        for name in tables
    }
    state["as_of_date"] = cluster.query(f"select distinct as_of_date::text from {PUBLISHED}.customer_segments")
    return state


@pytest.fixture(scope="module")
def first(cluster: Cluster) -> Cluster:
    """The sample published once, as of its default as-of date."""
    began = time.monotonic()
    done = run_publish(cluster, "--vars", RAW)
    assert done.returncode == 0, done.stdout[-5000:] + done.stderr[-3000:]
    print(
        f"first publish: {time.monotonic() - began:.0f} s",
        *[line for line in done.stdout.splitlines() if line.startswith("==")],
        sep="\n",
    )
    return cluster


def privileges(cluster: Cluster, role: str) -> dict[str, dict[str, object]]:
    """Per schema of the project: whether role has usage on it, what it can select there, and whether
    any grant to it is in the ACL of the schema or of one of its relations."""
    rows = cluster.query(
        """
        select namespace.nspname,
            has_schema_privilege(%(role)s, namespace.oid, 'usage'),
            array(select class.relname from pg_class as class
                where class.relnamespace = namespace.oid and class.relkind in ('r', 'v', 'm', 'p')
                    and has_table_privilege(%(role)s, class.oid, 'select')),
            exists (select 1 from aclexplode(namespace.nspacl) as entry where entry.grantee = %(role)s::regrole)
            or exists (select 1 from pg_class as class, aclexplode(class.relacl) as entry
                where class.relnamespace = namespace.oid and entry.grantee = %(role)s::regrole)
        from pg_namespace as namespace
        where namespace.nspname like 'analytics%%'
        """,
        {"role": role},
    )
    return {
        schema: {"usage": usage, "select": set(readable), "granted": granted}
        for schema, usage, readable, granted in rows
    }


@needs_postgres
def test_a_publish_makes_the_published_schema_that_the_bi_role_reads_and_the_builder_it_cannot(first: Cluster) -> None:
    cluster = first
    tables = {row[0] for row in cluster.query("select tablename from pg_tables where schemaname = %s", [PUBLISHED])}
    views = cluster.query("select viewname from pg_views where schemaname = %s", [PUBLISHED])
    assert tables == PUBLISHED_TABLES and views == [], "every mart and the history, the audit view as its rows"
    schemas = {row[0] for row in cluster.query("select nspname from pg_namespace where nspname like 'analytics%'")}
    assert schemas == {PUBLISHED, *BUILDER_SCHEMAS}, "no copy left over, nothing of dbt beside the published schema"
    customers = cluster.query(f"select as_of_date::text, count(*) from {PUBLISHED}.customer_segments group by 1")
    assert history_by_date(cluster) == dict(customers) == history_by_date(cluster, "analytics_builder")
    assert cluster.query(f"select count(*) from {PUBLISHED}.audit_customer_segments") == [(0,)]
    not_null = (
        "select table_name, column_name from information_schema.columns where table_schema = %s and is_nullable = 'NO'"
    )
    built = set(cluster.query(not_null, ["analytics_builder"]))
    marts = {name for name, _ in built}
    assert {row for row in cluster.query(not_null, [PUBLISHED]) if row[0] in marts} == built, "NOT NULL columns kept"
    assert cluster.query("select obj_description('analytics_builder'::regnamespace, 'pg_namespace')") == [(None,)]

    access = privileges(cluster, BI_ROLE)
    assert access[PUBLISHED] == {"usage": True, "select": PUBLISHED_TABLES, "granted": True}
    for schema in BUILDER_SCHEMAS:
        assert access[schema] == {"usage": False, "select": set(), "granted": False}, schema
    with contextlib.closing(cluster.connect(BI_ROLE)) as bi, bi.cursor() as cursor:
        cursor.execute(f"select count(*) from {PUBLISHED}.customer_segments")
        assert cursor.fetchone()[0] == customers[0][1]
        bi.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege, match="permission denied for schema"):
            cursor.execute("select count(*) from analytics_builder.customer_segments")


def test_dbt_by_hand_refuses_the_published_schema(first: Cluster) -> None:
    """dbt pointed at the schema publish replaces stops before a model runs: BI's marts stay as published."""
    before = published_state(first)
    env = {**os.environ, **first.env, "DBT_PROFILES_DIR": str(first.project / "profiles")}
    env.pop("RISK_SEGMENTATION_PG_SCHEMA", None)  # the profile's default: analytics, the published schema
    done = subprocess.run(
        [str(CLI.with_name("dbt")), "build", "--target", "postgres", "--vars", RAW,
         "--target-path", str(first.folder / "target_by_hand"), "--log-path", str(first.folder / "logs")],
        cwd=first.project, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"The schema {PUBLISHED} is published by `risk-segmentation publish`" in done.stdout
    assert "START sql" not in done.stdout and "START seed" not in done.stdout
    assert published_state(first) == before


FAILS_AT = "2025-03-31"  # after the published as-of date: the builder's history appends it


@pytest.fixture(scope="module")
def failed(first: Cluster) -> Cluster:
    """A build with a failing test, as of a later date: the history and the test it fails, selected alone."""
    cluster = first
    failing_test = cluster.project / "tests" / "assert_this_build_fails.sql"
    failing_test.write_text("select 1 as failure\n")
    before = published_state(cluster), history_by_date(cluster)
    try:
        done = run_publish(
            cluster,
            "--select", "+customer_segments_history assert_this_build_fails", "--indirect-selection", "empty",
            "--vars", f"{{raw_schema: shop_raw, as_of_date: {FAILS_AT}}}",
        )  # fmt: skip
    finally:
        failing_test.unlink()
    cluster.outputs["failed"] = (done, before, history_by_date(cluster, "analytics_builder"))
    return cluster


@needs_postgres
def test_a_failed_build_publishes_nothing(failed: Cluster) -> None:
    done, (state, history), builder_history = failed.outputs["failed"]
    assert done.returncode != 0, done.stdout[-3000:]
    assert "assert_this_build_fails" in done.stdout
    assert f"build failed: schema {PUBLISHED} of database" in done.stderr and "is unchanged" in done.stderr
    assert published_state(failed) == state, "same tables, same rows, same as-of date"
    assert history_by_date(failed) == history
    assert FAILS_AT not in history_by_date(failed)
    assert FAILS_AT in builder_history, "the failed build's versions were in the builder"
    assert failed.query("select count(*) from pg_namespace where nspname = 'analytics_publishing'") == [(0,)]


SECOND_AS_OF = "2024-06-30"


@dataclass
class Reader:
    """Queries the published marts as the BI role in a loop, each read in its own short transaction,
    and two marts in one repeatable-read transaction; keeps every result and every error."""

    cluster: Cluster
    stop: threading.Event = field(default_factory=threading.Event)
    results: list[tuple[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self) -> None:
        connection = self.cluster.connect(BI_ROLE)
        try:
            while not self.stop.is_set():
                for mart in ["customer_segments", "rfm_segments"]:
                    self.read(connection, mart, [f"select count(*), max(as_of_date)::text from {PUBLISHED}.{mart}"])
                connection.set_session(isolation_level="REPEATABLE READ")
                self.read(
                    connection,
                    "pair",
                    [
                        f"select count(*), max(as_of_date)::text from {PUBLISHED}.customer_segments",
                        f"select count(*), max(as_of_date)::text from {PUBLISHED}.segment_thresholds",
                    ],
                )
                connection.set_session(isolation_level="DEFAULT")
                time.sleep(0.1)
        finally:
            connection.close()

    def read(self, connection, what: str, statements: list[str]) -> None:
        try:
            with connection.cursor() as cursor:
                rows = []
                for statement in statements:
                    cursor.execute(statement)
                    rows.append(cursor.fetchone())
            connection.commit()
            self.results.append((what, tuple(rows)))
        except psycopg2.Error as error:
            self.errors.append(f"{what}: {error}")
            connection.rollback()


def mart_results(cluster: Cluster) -> dict[str, tuple]:
    return {
        mart: tuple(cluster.query(f"select count(*), max(as_of_date)::text from {PUBLISHED}.{mart}"))
        for mart in ["customer_segments", "rfm_segments", "segment_thresholds"]
    }


@pytest.fixture(scope="module")
def second(failed: Cluster) -> Cluster:
    """Grants made by hand, then a publish at another as-of date with a reader querying throughout,
    and another publish started while it runs."""
    cluster = failed
    cluster.execute(f"grant usage on schema {PUBLISHED} to {AUDITOR}")
    cluster.execute(f"grant select on {PUBLISHED}.rfm_segments to {AUDITOR}")
    old = mart_results(cluster)
    reader = Reader(cluster)
    thread = threading.Thread(target=reader.run)
    thread.start()
    log = cluster.folder / "second.log"
    began = time.monotonic()
    try:
        # Models only (the first publish ran every test): what matters here is the copy and the swap.
        exclude = "resource_type:unit_test resource_type:test"
        as_of = f"{{raw_schema: shop_raw, as_of_date: {SECOND_AS_OF}}}"
        running = run_publish(cluster, "--vars", as_of, log=log, exclude=exclude)
        deadline = time.monotonic() + 120
        while "== building in" not in log.read_text() and time.monotonic() < deadline:
            assert running.poll() is None, log.read_text()[-5000:]
            time.sleep(0.2)
        busy_began = time.monotonic()
        busy = run_publish(cluster, "--vars", RAW)
        cluster.outputs["busy"] = (busy, time.monotonic() - busy_began)
        returncode = running.wait(timeout=600)
    finally:
        time.sleep(1)  # a few reads of the new build
        reader.stop.set()
        thread.join()
    print(
        f"second publish: {time.monotonic() - began:.0f} s",
        *[line for line in log.read_text().splitlines() if line.startswith("==")],
        sep="\n",
    )
    assert returncode == 0, log.read_text()[-5000:]
    cluster.outputs["second"] = (log.read_text(), reader, old, mart_results(cluster))
    return cluster


@needs_postgres
def test_a_reader_sees_one_whole_build_throughout_a_publish(second: Cluster) -> None:
    _, reader, old, new = second.outputs["second"]
    assert reader.errors == []
    assert old["customer_segments"][0][1] != new["customer_segments"][0][1] == SECOND_AS_OF
    builds = {"old": old, "new": new}
    seen = {"old": 0, "new": 0}
    for what, rows in reader.results:
        marts = ["customer_segments", "segment_thresholds"] if what == "pair" else [what]
        matching = [name for name, build in builds.items() if rows == tuple(build[mart][0] for mart in marts)]
        assert matching, f"{what}: {rows} is neither the old build ({old}) nor the new one ({new})"
        seen[matching[0]] += 1
    assert seen["old"] > 20 and seen["new"] > 0, seen


@needs_postgres
def test_the_next_publish_resets_the_builder_and_grants_survive(second: Cluster) -> None:
    log, _, _, _ = second.outputs["second"]
    assert "was not published: its marts become the published ones again" in log
    assert FAILS_AT not in history_by_date(second)
    assert history_by_date(second) == history_by_date(second, "analytics_builder")
    access = privileges(second, BI_ROLE)
    assert access[PUBLISHED] == {"usage": True, "select": PUBLISHED_TABLES, "granted": True}
    for schema in BUILDER_SCHEMAS:
        assert access[schema] == {"usage": False, "select": set(), "granted": False}, schema
    auditor = privileges(second, AUDITOR)
    assert auditor[PUBLISHED]["usage"] and auditor[PUBLISHED]["select"] == {"rfm_segments"}
    with contextlib.closing(second.connect(AUDITOR)) as connection, connection.cursor() as cursor:
        cursor.execute(f"select count(*) from {PUBLISHED}.rfm_segments")
        assert cursor.fetchone()[0] > 0


@needs_postgres
def test_a_second_publish_while_one_runs_exits_75(second: Cluster) -> None:
    busy, elapsed = second.outputs["busy"]
    assert busy.returncode == EXIT_BUSY, busy.stdout[-3000:] + busy.stderr[-3000:]
    assert f"another publish of schema {PUBLISHED} of database risk_segmentation" in busy.stderr
    assert "risk-segmentation publish (pid " in busy.stderr, "names the running publish"
    assert "nothing done; try again when it has finished" in busy.stderr
    assert "== building" not in busy.stdout
    assert elapsed < 15


def test_the_lock_is_keyed_on_the_published_schema() -> None:
    assert publish_postgres.lock_key("analytics") == publish_postgres.lock_key("analytics")
    assert publish_postgres.lock_key("analytics") != publish_postgres.lock_key("reporting")


@pytest.mark.parametrize("how", ["option", "environment"])
def test_publish_refuses_spark_and_says_what_dbt_build_does_there(
    how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from risk_segmentation import cli

    monkeypatch.setenv("DBT_TARGET", "spark" if how == "environment" else "dev")
    with pytest.raises(SystemExit) as stopped:
        cli.main(["publish", "--", "--target", "spark"] if how == "option" else ["publish"])
    assert stopped.value.code == 2
    message = " ".join(capsys.readouterr().err.split())
    assert "publish supports the DuckDB (dev) and Postgres targets, not spark" in message
    assert "it writes the target schema in place, table by table" in message
