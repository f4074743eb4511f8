"""Write, audit, publish on Postgres: dbt builds and tests in a private builder schema, and only when
everything passes the published schema BI reads is replaced by a copy of the marts, in one transaction.

`risk-segmentation publish -- --target postgres` (or DBT_TARGET=postgres) comes here (publish.publish
dispatches on the target). The published schema is the profile's schema, RISK_SEGMENTATION_PG_SCHEMA
(default analytics); call it <schema>. Publish points dbt at <schema>_builder instead, through that
same variable, so dbt's schemas are:
- <schema>_builder, <schema>_builder_staging, _intermediate and _seeds: the builder. dbt builds in
  them in place from one publish to the next: staging, intermediate models, seeds, the incremental
  state and the marts, the segment history among them. BI roles are granted nothing there: dbt runs
  without RISK_SEGMENTATION_BI_ROLES, so neither the marts' `grants` nor grant_schema_usage fire.
- <schema>: the published schema, written by publish alone. After a passing build (history_builds,
  then `dbt build` with every test), publish copies into a new schema, <schema>_publishing, every
  table and view of <schema>_builder as a table (the audit view as its rows; columns, types and NOT
  NULL as built, each copy analysed) plus the two seeds `export` reads on DuckDB (PUBLISHED_SEEDS),
  beside the marts; that copy commits on its own, unseen by BI (no grant on it). Then ONE transaction
  locks the old published tables, grants on the copy (the old schema's and each old table's ACL,
  pg_namespace.nspacl and pg_class.relacl, read with aclexplode and granted again by name; and for
  the roles of RISK_SEGMENTATION_BI_ROLES usage on the schema and select on every table in it), drops
  the old <schema> and renames <schema>_publishing to <schema>. A reader sees the old schema or the
  new one, never a mix nor a missing table: a query waiting on the swap's lock finds the new table
  by its name once the swap commits.
  The copy commits before the swap, not inside it: a REPEATABLE READ reader whose snapshot predates
  the swap would read a table created in the swap's own transaction as empty.
- The swap waits for readers still holding the old tables: it tries with a lock_timeout below the
  server's deadlock_timeout (so a reader that waits behind it is never the deadlock victim, and waits
  at most that long), and tries again every SWAP_RETRY_SECONDS for up to SWAP_WAIT_SECONDS. A view
  outside <schema> that reads its tables would be dropped with it (Postgres binds a view to a table,
  not to its name): publish names such views and publishes nothing instead. Whatever else is in the
  old <schema> (a table someone made there) is dropped with it, and named in the log.

A failed or stopped build publishes nothing. Its marts stay in the builder, so before dbt starts,
publish marks the builder (a comment on <schema>_builder, UNPUBLISHED) and the swap's transaction
clears the mark; a publish that finds the mark first makes the builder's marts tables those of
<schema> again (same columns: their rows, the history's among them; otherwise a copy of the
published table; a table <schema> lacks is dropped), so nothing of an unpublished build reaches the
history or a later publish. Staging and intermediate models resume from their own watermarks. With
no builder yet (the first publish), the segment history of an existing <schema> (from a `dbt build`
in place) is copied into the new builder, so it carries over; dbt builds the rest in full.

One publish at a time per published schema: publish holds pg_try_advisory_lock(LOCK_KEY(<schema>)) on
its own session from before it touches the builder until the swap has committed; a second publish
stops at once with exit code 75 (publish.EXIT_BUSY), naming the session that holds it. Postgres
drops the lock with the session, however publish dies. dbt runs through publish.SignalForwarding:
signals stop dbt and publish (128 + the signal's number), and a publish killed outright leaves at
most a <schema>_publishing, dropped by the next one.

The connection is the dbt profile's own target (profiles.yml, found as dbt finds it), its fields
rendered with their environment variables as dbt renders them; its schema must follow
RISK_SEGMENTATION_PG_SCHEMA (the committed profile's does). No Parquet copies and no DuckDB file:
`--database` and `--parquet-dir` apply to the DuckDB target only.

psycopg2 is imported when publish runs on Postgres: dbt-postgres brings it (requirements-dev.txt);
without it, publish says what to install.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml

from risk_segmentation import publish as duckdb_publish

TARGET = "postgres"
SCHEMA_VARIABLE = "RISK_SEGMENTATION_PG_SCHEMA"  # the profile's schema: the published one
BI_ROLES_VARIABLE = "RISK_SEGMENTATION_BI_ROLES"
UNPUBLISHED = "risk-segmentation publish: the last build in this builder was not published"
# On the published schema: dbt refuses to build into it (macros/validation/refuse_published_database.sql).
PUBLISHED_MARK = "published by risk-segmentation publish"
SWAP_WAIT_SECONDS = 600  # how long the swap keeps trying while readers hold the published tables
SWAP_RETRY_SECONDS = 1.0  # pause between tries, during which readers run freely
MAX_LOCK_TIMEOUT_MS = 500
TABLE_KINDS = ("r", "p")  # pg_class.relkind: tables, partitioned tables
COPIED_KINDS = ("r", "p", "v", "m")  # and views, materialized views: published as their rows
RETRIED_SQLSTATES = {"55P03", "40P01"}  # lock_not_available, deadlock_detected
IDENTIFIER_BYTES = 63  # Postgres truncates longer names


class NotPublished(Exception):
    """Publish stops with nothing published; the message says why."""


class Stopped(Exception):
    """Publish was signalled after dbt finished: it stops before the swap."""


def import_psycopg2():
    try:
        import psycopg2
        import psycopg2.errors
        import psycopg2.sql
    except ImportError as error:
        raise ValueError(
            "publish on Postgres needs psycopg2, which dbt-postgres brings: install the test set "
            "(.venv/bin/pip install -r requirements-dev.txt -c requirements-lock.txt, as `make test` does), "
            f"or at least psycopg2-binary ({error})"
        ) from error
    return psycopg2


def lock_key(schema: str) -> int:
    """The advisory lock of the publishes of one published schema: a stable signed 64-bit number."""
    digest = hashlib.sha256(f"risk-segmentation publish {schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Schemas:
    """The published schema and the ones publish and dbt make beside it."""

    def __init__(self, published: str) -> None:
        self.published = published
        self.builder = f"{published}_builder"  # dbt's target schema during publish
        self.publishing = f"{published}_publishing"  # the copy, until renamed to published
        self.builder_seeds = f"{self.builder}_seeds"
        longest = f"{self.builder}_intermediate"
        if len(longest.encode()) > IDENTIFIER_BYTES:
            raise ValueError(
                f"{SCHEMA_VARIABLE}={published!r} is too long: publish builds in {longest}, "
                f"longer than Postgres' {IDENTIFIER_BYTES} bytes"
            )

    def dbt_schemas(self) -> list[str]:
        return [self.builder, *(f"{self.builder}_{layer}" for layer in ("staging", "intermediate", "seeds"))]


# ---------------------------------------------------------------------------------------------------
# The connection: the profile's postgres target, rendered as dbt renders it


def profiles_file(dbt_args: list[str], env: dict[str, str]) -> Path:
    """profiles.yml where dbt looks: --profiles-dir, DBT_PROFILES_DIR, the working folder, ~/.dbt."""
    chosen = duckdb_publish._option(dbt_args, "--profiles-dir") or env.get("DBT_PROFILES_DIR")
    if chosen:
        return Path(chosen).expanduser() / "profiles.yml"
    if (Path.cwd() / "profiles.yml").exists():
        return Path.cwd() / "profiles.yml"
    return Path.home() / ".dbt" / "profiles.yml"


def render(value: object, env: dict[str, str]) -> object:
    """A profile field as dbt renders it: Jinja with env_var() and the as_* filters."""
    if not isinstance(value, str) or "{" not in value:
        return value
    import jinja2  # dbt-core's own dependency

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise ValueError(f"the dbt profile needs the environment variable {name}")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    jinja.filters.update(as_number=lambda v: v, as_text=str, as_bool=lambda v: v, as_native=lambda v: v)
    try:
        return jinja.from_string(value).render(env_var=env_var).strip()
    except jinja2.TemplateError as error:
        raise ValueError(f"cannot render the dbt profile's field {value!r}: {error}") from error


def profile_connection(dbt_args: list[str], env: dict[str, str]) -> tuple[dict[str, object], str]:
    """psycopg2.connect's arguments for the profile's postgres target, and its (published) schema."""
    project, _ = duckdb_publish.project_dir(dbt_args)
    profile = duckdb_publish._option(dbt_args, "--profile")
    if profile is None and project is not None and (project / "dbt_project.yml").is_file():
        profile = (yaml.safe_load((project / "dbt_project.yml").read_text()) or {}).get("profile")
    path = profiles_file(dbt_args, env)
    try:
        output = yaml.safe_load(path.read_text())[profile]["outputs"][TARGET]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as error:
        raise ValueError(
            f"publish on Postgres reads the connection from the dbt profile {profile!r}, target {TARGET!r}, "
            f"in {path}, and found none there ({type(error).__name__}: {error})"
        ) from error
    if render(output.get("type"), env) != "postgres":
        raise ValueError(f"the target {TARGET!r} of the dbt profile in {path} is not of type postgres")
    probe = "risk_segmentation_schema_probe"
    if render(output.get("schema"), {**env, SCHEMA_VARIABLE: probe}) != probe:
        raise ValueError(
            f"publish on Postgres points dbt at its builder schema through {SCHEMA_VARIABLE}, but the schema of "
            f"the target {TARGET!r} in {path} does not follow it: make it "
            f"\"{{{{ env_var('{SCHEMA_VARIABLE}', 'analytics') }}}}\" as in the project's profiles/profiles.yml"
        )
    connection: dict[str, object] = {}
    for field, keyword in [
        ("host", "host"), ("port", "port"), ("user", "user"), ("password", "password"), ("dbname", "dbname"),
        ("database", "dbname"), ("sslmode", "sslmode"), ("sslcert", "sslcert"), ("sslkey", "sslkey"),
        ("sslrootcert", "sslrootcert"), ("connect_timeout", "connect_timeout"),
    ]:  # fmt: skip
        value = render(output.get(field), env)
        if value not in (None, ""):
            connection[keyword] = value
    role = render(output.get("role"), env)
    if role:
        connection["options"] = f"-c role={role}"
    return connection, str(render(output.get("schema"), env))


def bi_roles(env: dict[str, str]) -> list[str]:
    """The roles of RISK_SEGMENTATION_BI_ROLES, as dbt_project.yml reads them (unquoted names)."""
    roles = [role for role in env.get(BI_ROLES_VARIABLE, "").replace(" ", "").split(",") if role]
    for role in roles:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]*", role):
            raise ValueError(f"{BI_ROLES_VARIABLE}: {role!r} is not a role name")
    return roles


# ---------------------------------------------------------------------------------------------------
# Catalog helpers


@contextlib.contextmanager
def transaction(connection) -> Iterator[object]:
    """A cursor inside begin ... commit on an autocommit connection; rolled back on any exception."""
    cursor = connection.cursor()
    try:
        cursor.execute("begin")
        try:
            yield cursor
        except BaseException:
            with contextlib.suppress(Exception):
                cursor.execute("rollback")
            raise
        cursor.execute("commit")
    finally:
        cursor.close()


def schema_exists(cursor, schema: str) -> bool:
    cursor.execute("select count(*) from pg_namespace where nspname = %s", [schema])
    return cursor.fetchone()[0] == 1


def relations(cursor, schema: str, kinds: Sequence[str]) -> list[str]:
    cursor.execute(
        "select c.relname from pg_class as c inner join pg_namespace as n on c.relnamespace = n.oid"
        " where n.nspname = %s and c.relkind = any(%s) order by c.relname",
        [schema, list(kinds)],
    )
    return [row[0] for row in cursor.fetchall()]


def columns(cursor, schema: str, name: str) -> list[tuple[str, str]]:
    cursor.execute(
        "select a.attname, format_type(a.atttypid, a.atttypmod) from pg_attribute as a"
        " inner join pg_class as c on a.attrelid = c.oid inner join pg_namespace as n on c.relnamespace = n.oid"
        " where n.nspname = %s and c.relname = %s and a.attnum > 0 and not a.attisdropped order by a.attnum",
        [schema, name],
    )
    return cursor.fetchall()


def table(sql, schema: str, name: str):
    return sql.Identifier(schema, name)


def copy_table(cursor, sql, source: tuple[str, str], copy: tuple[str, str]) -> None:
    """A new table with source's columns, types and NOT NULL (a view's columns too), holding its rows."""
    cursor.execute(sql.SQL("create table {} (like {} including all)").format(table(sql, *copy), table(sql, *source)))
    cursor.execute(sql.SQL("insert into {} select * from {}").format(table(sql, *copy), table(sql, *source)))


# ---------------------------------------------------------------------------------------------------
# Publish


def publish(dbt_args: list[str], history_builds: Sequence[list[str]] = ()) -> int:
    """Build in the builder schemas; on success replace the published schema in one transaction.
    Returns dbt's exit code, 128 + a signal's number when stopped by it, EXIT_BUSY when another
    publish of the schema is running, 1 when the swap could not be made."""
    psycopg2 = import_psycopg2()
    env = duckdb_publish.dbt_env(dbt_args)
    connect_args, published = profile_connection(dbt_args, env)
    schemas = Schemas(published)
    roles = bi_roles(env)
    where = f"schema {published} of database {connect_args.get('dbname', '?')} on {connect_args.get('host', '?')}"
    try:
        connection = psycopg2.connect(
            **connect_args,
            application_name=f"risk-segmentation publish (pid {os.getpid()} on {socket.gethostname()})",
            keepalives=1,
        )
    except psycopg2.Error as error:
        print(f"publish: cannot connect to Postgres for {where}: {error}".strip(), file=sys.stderr)
        return 1
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("select pg_try_advisory_lock(%s)", [lock_key(published)])
            if not cursor.fetchone()[0]:
                print(
                    f"another publish of {where} is running ({lock_holder(cursor, published)}): nothing done; "
                    "try again when it has finished",
                    file=sys.stderr,
                )
                return duckdb_publish.EXIT_BUSY
        with duckdb_publish.SignalForwarding() as signals:
            try:
                return _publish_locked(connection, schemas, roles, dbt_args, history_builds, env, signals, where)
            except (NotPublished, psycopg2.Error) as error:
                reason = str(error).strip()
                print(f"nothing published: {reason}\n{where} is unchanged", file=sys.stderr)
                return 1
    finally:
        connection.close()  # ends the session: releases the advisory lock


def lock_holder(cursor, schema: str) -> str:
    """Who holds the publish lock of schema: its session's pid, name and start, as far as visible."""
    key = lock_key(schema)
    cursor.execute(
        """
        select activity.pid, activity.application_name, activity.client_addr, activity.backend_start
        from pg_locks as locks
        inner join pg_stat_activity as activity on locks.pid = activity.pid
        where locks.locktype = 'advisory' and locks.granted and locks.objsubid = 1
            and locks.classid::bigint = %s and locks.objid::bigint = %s
            and locks.database = (select oid from pg_database where datname = current_database())
        """,
        [(key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF],
    )
    found = cursor.fetchone()
    if found is None:
        return f"advisory lock {key}"
    pid, name, address, started = found
    return (
        f"Postgres session {pid}, {name or 'no application name'}, from {address or 'a local socket'}, since {started}"
    )


def _publish_locked(connection, schemas, roles, dbt_args, history_builds, env, signals, where) -> int:
    from psycopg2 import sql

    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schemas.publishing)))
    with transaction(connection) as cursor:
        prepare_builder(cursor, sql, schemas)

    dbt_environment = {**env, SCHEMA_VARIABLE: schemas.builder, "DBT_TARGET": TARGET}
    dbt_environment.pop(BI_ROLES_VARIABLE, None)  # no grant in the builder
    print(f"== building in the schemas {', '.join(schemas.dbt_schemas())}", flush=True)
    returncode = 0
    for build in [*history_builds, ["build", *dbt_args]]:
        print(f"== dbt {' '.join(build)}", flush=True)
        returncode = signals.run_dbt([duckdb_publish.dbt_executable(), *build], dbt_environment)
        if returncode != 0:
            break
    if returncode == 0 and signals.received is None:
        try:
            copied = write_published_copy(connection, sql, schemas, signals)
            if signals.received is None:  # from here on signals only wait: the swap is one transaction
                swap(connection, sql, schemas, roles, signals)
                print(f"== published {where}: {copied}", flush=True)
                return 0
        except Stopped:
            pass
        finally:
            with contextlib.suppress(Exception), connection.cursor() as cursor:  # none left once renamed
                cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schemas.publishing)))
    if signals.received is not None:
        print(f"stopped by {signal.Signals(signals.received).name}: {where} is unchanged", file=sys.stderr)
        return 128 + signals.received
    print(f"build failed: {where} is unchanged", file=sys.stderr)
    return returncode


def prepare_builder(cursor, sql, schemas: Schemas) -> None:
    """Make the builder schema if there is none (with the published segment history), or after an
    unpublished build make its marts those of the published schema again; then mark it unpublished."""
    builder = sql.Identifier(schemas.builder)
    if not schema_exists(cursor, schemas.builder):
        cursor.execute(sql.SQL("create schema {}").format(builder))
        if duckdb_publish.HISTORY in relations(cursor, schemas.published, TABLE_KINDS):
            print(
                f"== no builder yet: copying {schemas.published}.{duckdb_publish.HISTORY} into {schemas.builder}, "
                "so the segment history carries over",
                flush=True,
            )
            copy_table(
                cursor, sql, (schemas.published, duckdb_publish.HISTORY), (schemas.builder, duckdb_publish.HISTORY)
            )
    else:
        cursor.execute(
            "select obj_description(oid, 'pg_namespace') from pg_namespace where nspname = %s", [schemas.builder]
        )
        if cursor.fetchone()[0] == UNPUBLISHED:
            print(
                f"== the last build in {schemas.builder} was not published: its marts become the published ones again",
                flush=True,
            )
            reset_builder_marts(cursor, sql, schemas)
    cursor.execute(sql.SQL("comment on schema {} is {}").format(builder, sql.Literal(UNPUBLISHED)))


def reset_builder_marts(cursor, sql, schemas: Schemas) -> None:
    """Each table of the builder's marts schema becomes the published schema's table of that name (its
    rows when the columns are the same, else a copy); one the published schema lacks is dropped. Views
    stay: they read the builder's tables."""
    published = relations(cursor, schemas.published, TABLE_KINDS)
    for name in relations(cursor, schemas.builder, TABLE_KINDS):
        built, source = table(sql, schemas.builder, name), table(sql, schemas.published, name)
        if name in published and columns(cursor, schemas.builder, name) == columns(cursor, schemas.published, name):
            cursor.execute(sql.SQL("truncate {}").format(built))
            cursor.execute(sql.SQL("insert into {} select * from {}").format(built, source))
        else:
            cursor.execute(sql.SQL("drop table {} cascade").format(built))
            if name in published:
                copy_table(cursor, sql, (schemas.published, name), (schemas.builder, name))


def write_published_copy(connection, sql, schemas: Schemas, signals) -> str:
    """Copy the builder's marts (tables, and views as their rows) and PUBLISHED_SEEDS into the new
    schema publishing, each copy analysed, in one transaction of its own (see the module's docstring).
    Stops, committing nothing, when publish is signalled. Returns what it copied."""
    began = time.monotonic()
    with transaction(connection) as cursor:
        marts = relations(cursor, schemas.builder, COPIED_KINDS)
        seeds = [
            seed
            for seed in duckdb_publish.PUBLISHED_SEEDS
            if seed in relations(cursor, schemas.builder_seeds, TABLE_KINDS)
        ]
        cursor.execute(sql.SQL("create schema {}").format(sql.Identifier(schemas.publishing)))
        for source_schema, name in [(schemas.builder, mart) for mart in marts] + [
            (schemas.builder_seeds, seed) for seed in seeds
        ]:
            if signals.received is not None:
                raise Stopped
            copy_table(cursor, sql, (source_schema, name), (schemas.publishing, name))
            cursor.execute(sql.SQL("analyze {}").format(table(sql, schemas.publishing, name)))
    copied = f"{len(marts)} tables and views of {schemas.builder} and {len(seeds)} seeds"
    print(f"== copied {copied} into {schemas.publishing} in {time.monotonic() - began:.1f} s", flush=True)
    return copied


def swap(connection, sql, schemas: Schemas, roles: list[str], signals) -> None:
    """Replace the published schema by the copy in one transaction (replace_published), trying again
    while readers hold the published tables (see the module's docstring)."""
    import psycopg2

    with connection.cursor() as cursor:
        cursor.execute("select setting::int from pg_settings where name = 'deadlock_timeout'")  # milliseconds
        lock_timeout_ms = max(10, min(MAX_LOCK_TIMEOUT_MS, cursor.fetchone()[0] // 2))
    began = time.monotonic()
    while True:
        try:
            with transaction(connection) as cursor:
                cursor.execute(f"set local lock_timeout = {lock_timeout_ms}")
                replace_published(cursor, sql, schemas, roles)
            return
        except psycopg2.Error as error:
            if error.pgcode not in RETRIED_SQLSTATES:
                raise
            waited = time.monotonic() - began
            if waited > SWAP_WAIT_SECONDS:
                raise NotPublished(
                    f"readers held the tables of {schemas.published} for {waited:.0f} s, and the swap needs them "
                    "for a moment; publish again when they have finished"
                ) from error
            if waited < SWAP_RETRY_SECONDS:
                print(f"== waiting for the readers of {schemas.published} to finish their transactions", flush=True)
        if signals.received is not None:
            raise Stopped
        time.sleep(SWAP_RETRY_SECONDS)


def replace_published(cursor, sql, schemas: Schemas, roles: list[str]) -> None:
    """Inside the swap's transaction: lock the old published tables, carry their grants and the
    schema's to the copy, grant the BI roles, drop the old schema, rename the copy into place and
    clear the builder's mark."""
    published, publishing = schemas.published, sql.Identifier(schemas.publishing)
    new = relations(cursor, schemas.publishing, COPIED_KINDS)
    grants: list = []
    if schema_exists(cursor, published):
        old = relations(cursor, published, ("r", "p", "v", "m", "f", "S"))
        locked = relations(cursor, published, ("r", "p", "m"))
        if locked:
            cursor.execute(
                sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(table(sql, published, name) for name in locked)
                )
            )
        refuse_outside_views(cursor, published)
        for grantee, privilege, grantable in acl(cursor, "namespace", published, None):
            grants.append(grant(sql, privilege, sql.SQL("schema {}").format(publishing), grantee, grantable))
        for name in new:
            for grantee, privilege, grantable in acl(cursor, "class", published, name):
                target = sql.SQL("table {}").format(table(sql, schemas.publishing, name))
                grants.append(grant(sql, privilege, target, grantee, grantable))
        dropped = [name for name in old if name not in new]
        if dropped:
            print(f"== dropped with the old {published}, as publish did not make them: {', '.join(dropped)}")
    if roles:
        to_roles = sql.SQL(", ").join(sql.SQL(role) for role in roles)  # bare names, as dbt grants them
        grants.append(sql.SQL("grant usage on schema {} to {}").format(publishing, to_roles))
        grants.append(sql.SQL("grant select on all tables in schema {} to {}").format(publishing, to_roles))
    for statement in grants:
        cursor.execute(statement)
    cursor.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(published)))
    cursor.execute(sql.SQL("alter schema {} rename to {}").format(publishing, sql.Identifier(published)))
    cursor.execute(sql.SQL("comment on schema {} is {}").format(sql.Identifier(published), sql.Literal(PUBLISHED_MARK)))
    cursor.execute(sql.SQL("comment on schema {} is null").format(sql.Identifier(schemas.builder)))


def acl(cursor, catalog: str, schema: str, name: str | None) -> list[tuple[str, str, bool]]:
    """The grants of a schema (catalog 'namespace') or of its relation name (catalog 'class'), from its
    ACL, as (grantee as SQL, privilege, with grant option); not those of the current role, which owns
    the copies."""
    if catalog == "namespace":
        source = "pg_namespace as object, aclexplode(object.nspacl) as entry where object.nspname = %s"
        parameters = [schema]
    else:
        source = (
            "pg_class as object inner join pg_namespace as namespace on object.relnamespace = namespace.oid,"
            " aclexplode(object.relacl) as entry where namespace.nspname = %s and object.relname = %s"
        )
        parameters = [schema, name]
    cursor.execute(
        "select case when entry.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(entry.grantee)) end,"
        f" entry.privilege_type, entry.is_grantable from {source}"
        " and entry.grantee <> (select oid from pg_roles where rolname = current_user)"
        " order by 1, 2",
        parameters,
    )
    return [
        (grantee, privilege, grantable)
        for grantee, privilege, grantable in cursor.fetchall()
        if re.fullmatch(r"[A-Z]+( [A-Z]+)?", privilege)
    ]


def grant(sql, privilege: str, target, grantee: str, grantable: bool):
    """grantee is quote_ident's output or public; privilege a keyword checked by acl()."""
    option = " with grant option" if grantable else ""
    return sql.SQL("grant {} on {} to {}{}").format(sql.SQL(privilege), target, sql.SQL(grantee), sql.SQL(option))


def refuse_outside_views(cursor, schema: str) -> None:
    """Stop the swap if a view outside schema reads a table of it: dropping the schema would drop it."""
    cursor.execute(
        """
        select distinct quote_ident(dependent_namespace.nspname) || '.' || quote_ident(dependent.relname),
            referenced.relname
        from pg_depend as dependency
        inner join pg_rewrite as rewrite
            on dependency.classid = 'pg_rewrite'::regclass and dependency.objid = rewrite.oid
        inner join pg_class as dependent on rewrite.ev_class = dependent.oid
        inner join pg_namespace as dependent_namespace on dependent.relnamespace = dependent_namespace.oid
        inner join pg_class as referenced
            on dependency.refclassid = 'pg_class'::regclass and dependency.refobjid = referenced.oid
        inner join pg_namespace as referenced_namespace on referenced.relnamespace = referenced_namespace.oid
        where referenced_namespace.nspname = %s and dependent_namespace.nspname <> %s
        order by 1, 2
        """,
        [schema, schema],
    )
    views = cursor.fetchall()
    if views:
        listed = ", ".join(f"{view} (reads {name})" for view, name in views)
        raise NotPublished(
            f"views outside {schema} read its tables: {listed}. Replacing {schema} would drop them (a Postgres "
            "view is bound to a table, not to its name). Drop them, publish, and make them again after each "
            "publish, or build them as models of the project"
        )
