"""Write, audit, publish: dbt builds in a private builder database, tests it there, and only when
everything passes publishes a new file holding what BI reads, replacing the published DuckDB file
(and its Parquet copies) atomically.

Three files beside the published <name>.duckdb:
- <name>.builder.duckdb, the builder: dbt builds in it, in place, from one publish to the next. It
  holds everything dbt makes - staging, intermediate models, seeds, the incremental state and the
  marts, the segment history among them. Nothing copies it and BI never reads it (while a process
  holds it open, publish cannot build).
- <name>.publishing.duckdb: after a passing `dbt build`, the tables and views of the marts schema
  (the target's own schema, where the customer_segments table is; `main` on DuckDB) are copied
  into this new file as tables, with their NOT NULL columns - a view such as audit_customer_segments
  reads intermediate models, so it is published as its rows - plus the two vocabulary seeds
  `export` reads (PUBLISHED_SEEDS). No staging, intermediate state or personal data. It is
  checkpointed, the Parquet copies are written from it, and it is renamed over <name>.duckdb.
- <name>.builder.duckdb.unpublished: present from before dbt starts until a build is published.
  A failed or stopped build leaves the builder as dbt left it; staging and intermediate models pick
  up from that state (each keeps its own high-water mark and each model's change is one
  transaction), but marts would carry the unpublished build: its segment history versions, and
  tables a later `--select` build would publish. So the next publish first makes the builder's
  marts tables those of the published file again (the history by delete and insert; a table the
  published file lacks is dropped).

BI readers keep the file they opened (a rename never touches an open file) and never block the
build (it writes other files); a failed build publishes nothing and leaves the published file as
it was. A builder that DuckDB cannot open stops publish with a message: delete it and publish
again. Without a builder, publish copies the published file to make one, once, logged, so the
segment history, which lives in the builder now, carries over (a published file of the earlier
design is the whole database; a later one holds the marts and the history); with no published
file either, dbt starts it empty. dbt then builds whatever is missing in full.

One publish at a time, and no dbt left behind:
- Lock: publish holds flock(LOCK_EX | LOCK_NB) on <database>.publish.lock from before it touches
  the builder until the rename is done. A second publish of the same file stops at once, exit code
  75 (EX_TEMPFAIL, "try again later"), naming the file and the running publish's pid. The kernel
  drops a flock when its holder dies, however it dies, so no stale lock remains; the lock file
  itself stays (deleting it would race with the next publish locking it).
- Signals: dbt runs in its own process group. SIGINT, SIGTERM and SIGHUP to publish are passed on
  to that group; publish waits for dbt (SIGKILL after 30 s), deletes the publishing file and exits
  128 + the signal's number, the published file and Parquet folder untouched. A signal after dbt
  finished stops publish before the rename; once the rename starts, the DuckDB file and the
  Parquet link are both swapped. On Linux dbt also gets SIGKILL when publish dies (prctl
  PR_SET_PDEATHSIG), so even a SIGKILLed publish leaves no dbt writing; its publishing file is
  deleted by the next publish, after that publish holds the lock.
- Profile: unless you chose one (DBT_PROFILES_DIR, --profiles-dir, a profiles.yml in the working
  folder), dbt reads the project's own profiles/profiles.yml, as under make. The project is the one
  dbt builds: --project-dir, else DBT_PROJECT_DIR, else the working folder or its nearest parent
  holding dbt_project.yml (where dbt looks), else the checkout this package is installed from
  editable, as make installs it (this file is <checkout>/src/risk_segmentation/publish.py), and
  dbt is then pointed at that checkout (DBT_PROJECT_DIR). A non-editable install has no checkout:
  dbt's own defaults apply.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb

# The marts BI and campaign tools read (docs/definitions.md §9 and the ones added since),
# also published as Parquet files for tools that prefer files.
PUBLISHED_MARTS = [
    "segment_thresholds", "at_risk_customers", "rfm_segments", "return_risk_segments",
    "customer_segments", "segment_transitions", "segment_backtest", "repurchase_model_evaluation",
    "repurchase_calibration",
]  # fmt: skip
# Seeds published beside the marts, in <schema>_seeds: `export` reads the segment names from them
# (cli.DIMENSION_VALUES), so a valid segment that is empty today is not refused.
PUBLISHED_SEEDS = ["rfm_segment_map", "risk_value_quadrants"]
HISTORY = "customer_segments_history"  # the one incremental mart: its rows carry over between builds
PUBLISHING_ALIAS = "risk_segmentation_publishing"  # the publishing file, attached while it is written
PUBLISHED_ALIAS = "risk_segmentation_published"  # the published file, attached read-only

EXIT_BUSY = 75  # sysexits.h EX_TEMPFAIL: another publish of the same file is running
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SIGNAL_GRACE_SECONDS = 30  # how long dbt may take to stop after a forwarded signal before SIGKILL
CHECKOUT_DIR = Path(__file__).resolve().parents[2]  # <checkout>/src/risk_segmentation/publish.py
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def builder_path(database: Path) -> Path:
    return database.with_name(f"{database.stem}.builder{database.suffix}")


def publishing_path(database: Path) -> Path:
    return database.with_name(f"{database.stem}.publishing{database.suffix}")


def building_path(database: Path) -> Path:
    """The per-build copy of publish's earlier design: deleted if a killed publish left one."""
    return database.with_name(f"{database.stem}.building{database.suffix}")


def unpublished_path(builder: Path) -> Path:
    return Path(f"{builder}.unpublished")


def lock_path(database: Path) -> Path:
    return database.with_name(f"{database.name}.publish.lock")


def _option(dbt_args: list[str], name: str) -> str | None:
    """The value of a dbt option in dbt_args (--name value or --name=value), or None."""
    for index, arg in enumerate(dbt_args):
        if arg == name and index + 1 < len(dbt_args):
            return dbt_args[index + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None


def project_dir(dbt_args: list[str]) -> tuple[Path | None, bool]:
    """The dbt project dbt will build, and whether dbt finds it by itself (False: only this
    package's checkout is one, so dbt must be told). (None, True) when there is none."""
    chosen = _option(dbt_args, "--project-dir") or os.environ.get("DBT_PROJECT_DIR")
    if chosen:
        return Path(chosen), True
    cwd = Path.cwd()
    found = next((folder for folder in (cwd, *cwd.parents) if (folder / "dbt_project.yml").is_file()), None)
    if found is not None:
        return found, True
    if (CHECKOUT_DIR / "dbt_project.yml").is_file():
        return CHECKOUT_DIR, False
    return None, True


def dbt_env(dbt_args: list[str]) -> dict[str, str]:
    """The environment to run dbt in: ours, plus the project's profile unless one was chosen."""
    env = dict(os.environ)
    if "DBT_PROFILES_DIR" in env or _option(dbt_args, "--profiles-dir") or (Path.cwd() / "profiles.yml").exists():
        return env
    project, dbt_finds_it = project_dir(dbt_args)
    if project is not None and (project / "profiles" / "profiles.yml").is_file():
        env["DBT_PROFILES_DIR"] = str((project / "profiles").absolute())
        if not dbt_finds_it:
            env["DBT_PROJECT_DIR"] = str(project)
    return env


def _die_with_parent(parent: int, libc: ctypes.CDLL | None):
    """preexec_fn for dbt: SIGKILL when publish dies (Linux), even if it died while we forked."""

    def set_death_signal() -> None:
        if libc is not None:
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:
                os._exit(1)

    return set_death_signal


class SignalForwarding:
    """While active (a with block), SIGINT, SIGTERM and SIGHUP are recorded in `received` and
    passed on to the process group of the dbt that run_dbt is running, if any."""

    def __init__(self) -> None:
        self.received: int | None = None
        self._child: subprocess.Popen | None = None
        self._previous: dict[int, object] = {}
        self._libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def __enter__(self) -> SignalForwarding:
        if threading.current_thread() is threading.main_thread():  # only there can Python catch signals
            self._previous = {number: signal.signal(number, self._handle) for number in FORWARDED_SIGNALS}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def _handle(self, number: int, frame: object) -> None:
        self.received = self.received or number
        self._forward(number)

    def _forward(self, number: int) -> None:
        if self._child is not None and self._child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._child.pid, number)

    def run_dbt(self, command: list[str], env: dict[str, str]) -> int:
        """Run dbt in its own process group and wait for it. Returns dbt's exit code, or 128 + the
        signal's number once publish was signalled (dbt then stopped, at worst killed)."""
        if self.received is not None:
            return 128 + self.received
        self._child = subprocess.Popen(
            command, env=env, process_group=0, preexec_fn=_die_with_parent(os.getpid(), self._libc)
        )
        try:
            if self.received is not None:  # arrived while starting dbt, before it had a pid
                self._forward(self.received)
            deadline = None
            while True:
                try:
                    returncode = self._child.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    if self.received is not None:
                        deadline = deadline or time.monotonic() + SIGNAL_GRACE_SECONDS
                        if time.monotonic() > deadline:
                            self._forward(signal.SIGKILL)
        finally:
            if self._child.returncode is None:  # an exception of our own: take dbt down with it
                self._forward(signal.SIGKILL)
                self._child.wait()
            self._child = None
        return 128 + self.received if self.received is not None else returncode


def run_builds(signals: SignalForwarding, builds: Sequence[list[str]], env: dict[str, str]) -> int:
    """Run each dbt command in turn, stopping at the first that fails; its exit code, or 0."""
    for build in builds:
        print(f"== dbt {' '.join(build)}", flush=True)
        returncode = signals.run_dbt([dbt_executable(), *build], env)
        if returncode != 0:
            return returncode
    return 0


@contextlib.contextmanager
def publish_lock(database: Path) -> Iterator[bool]:
    """Hold <database>.publish.lock (exclusive, non-blocking). Yields False if another holds it."""
    if not database.parent.is_dir():
        raise ValueError(f"no folder {database.parent} to publish {database.name} into")
    descriptor = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())  # for the message of the publish that waits
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def remove_database_file(path: Path) -> None:
    for leftover in (path, Path(f"{path}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(f"{path}.tmp", ignore_errors=True)  # DuckDB's spill folder


def publish(
    database: Path, parquet_dir: Path | None, dbt_args: list[str], history_builds: Sequence[list[str]] = ()
) -> int:
    """dbt build in <name>.builder.duckdb; on success copy what BI reads into a new file and rename it
    over database. history_builds: dbt commands (arguments after `dbt`) run in the builder first, in
    order, each of which must pass too (the history backfill, cli.py). Returns dbt's exit code, 128 + a
    signal's number when stopped by it, or EXIT_BUSY when another publish is running.
    The target (--target in dbt_args, else DBT_TARGET, else dev) chooses how: postgres publishes a
    schema (publish_postgres.py; database and parquet_dir are not used), spark is refused."""
    target = _option(dbt_args, "--target") or _option(dbt_args, "-t") or os.environ.get("DBT_TARGET") or "dev"
    if target == "postgres":
        from risk_segmentation import publish_postgres

        return publish_postgres.publish(dbt_args, history_builds)
    if target == "spark":
        raise ValueError(
            "publish supports the DuckDB (dev) and Postgres targets, not spark: Spark's tables have no "
            "transaction that could replace them at once. Build on Spark with `dbt build --target spark`, "
            "knowing that it writes the target schema in place, table by table: while it runs, a reader may "
            "find a mart missing or half written, or marts of the new build beside marts of the old one, and "
            "a failing test does not undo the tables already written (docs/operations.md)"
        )
    database = database.absolute()
    with publish_lock(database) as held:
        if not held:
            holder = lock_path(database).read_text().strip() or "?"
            print(
                f"another publish of {database} is running (pid {holder}, lock {lock_path(database)}): "
                "nothing done; try again when it has finished",
                file=sys.stderr,
            )
            return EXIT_BUSY
        with SignalForwarding() as signals:
            return _publish_locked(database, parquet_dir, dbt_args, history_builds, signals)


def _publish_locked(
    database: Path,
    parquet_dir: Path | None,
    dbt_args: list[str],
    history_builds: Sequence[list[str]],
    signals: SignalForwarding,
) -> int:
    if parquet_dir is not None and parquet_dir.exists() and not parquet_dir.is_symlink():
        raise ValueError(f"{parquet_dir} exists and is not a link made by publish: move it away first")
    builder, publishing = builder_path(database), publishing_path(database)
    for leftover in (publishing, building_path(database)):  # left by a publish that was killed
        remove_database_file(leftover)
    prepare_builder(builder, database)
    unpublished_path(builder).touch()

    env = {**dbt_env(dbt_args), "RISK_SEGMENTATION_DUCKDB_PATH": str(builder), "DBT_TARGET": "dev"}
    print(f"== building in {builder}", flush=True)
    returncode = run_builds(signals, [*history_builds, ["build", *dbt_args]], env)
    new_parquet, published = None, False
    try:
        if returncode == 0:
            schema = write_published_copy(builder, publishing, signals)
            if parquet_dir is not None and signals.received is None:
                with duckdb.connect(str(publishing), read_only=True) as con:
                    new_parquet = write_parquet(con, parquet_dir, schema)
            if signals.received is None:  # from here on signals only wait: file and link swap together
                os.replace(publishing, database)
                published = True
                unpublished_path(builder).unlink()
                if new_parquet is not None:
                    swap_link(parquet_dir, new_parquet)
    finally:
        if not published:
            remove_database_file(publishing)
            if new_parquet is not None:
                shutil.rmtree(new_parquet, ignore_errors=True)
    if published:
        print(f"== published {database}" + (f" and {parquet_dir}/" if new_parquet else ""), flush=True)
        return 0
    if signals.received is not None:
        stopped_by = signal.Signals(signals.received).name
        print(f"stopped by {stopped_by}: {database} and its Parquet copies are unchanged", file=sys.stderr)
        return 128 + signals.received
    print(f"build failed: {database} and its Parquet copies are unchanged", file=sys.stderr)
    return returncode


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def catalog_name(path: Path) -> str:
    """The name DuckDB, and so dbt-duckdb, gives a database file: the first dot-separated part of the
    file's name. dbt's views name their tables with it (audit_customer_segments reads
    "shop"."main_intermediate"...), so the builder is attached under it."""
    return path.name.lstrip(".").split(".")[0]


def attach_builder(con: duckdb.DuckDBPyConnection, builder: Path, read_only: bool) -> str:
    """Attach builder to con under its own catalog name (returned), or say what to do about it."""
    catalog = catalog_name(builder)
    try:
        con.execute(f"attach {_literal(builder)} as {_quote(catalog)}" + (" (read_only)" if read_only else ""))
    except duckdb.Error as error:
        if "lock" in str(error).lower():
            raise ValueError(
                f"the builder database {builder} is open in another process: close it ({error})"
            ) from error
        raise ValueError(
            f"the builder database {builder} is damaged: DuckDB cannot open it ({error}). Delete it (and "
            f"{builder.name}.wal beside it, if any) and publish again: publish then makes a new builder from the "
            "published file, keeping its segment history, and dbt builds the rest in full."
        ) from error
    return catalog


def marts_schema(con: duckdb.DuckDBPyConnection, catalog: str) -> str:
    """The target's own schema, where dbt builds the marts: the one holding customer_segments (main
    on DuckDB unless the profile names another schema)."""
    found = con.execute(
        "select table_schema from information_schema.tables where table_catalog = ? and table_name = ?",
        [catalog, "customer_segments"],
    ).fetchall()
    return found[0][0] if len(found) == 1 else "main"


def relations(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, tables_only: bool = False) -> list[str]:
    """The tables (and views, unless tables_only) of catalog.schema, by name."""
    types = ["BASE TABLE"] if tables_only else ["BASE TABLE", "VIEW"]
    return [
        row[0]
        for row in con.execute(
            "select table_name from information_schema.tables where table_catalog = ? and table_schema = ?"
            " and list_contains(?, table_type) order by table_name",
            [catalog, schema, types],
        ).fetchall()
    ]


def prepare_builder(builder: Path, database: Path) -> None:
    """Make a builder if there is none (a copy of the published file if there is one: the segment
    history carries over); check that DuckDB opens the one there is, and after an unpublished build
    make its marts tables the published ones again (see the module's docstring)."""
    unpublished = unpublished_path(builder)
    if not builder.exists():
        unpublished.unlink(missing_ok=True)
        remove_database_file(builder)  # a WAL without its database must not be replayed into a new one
        if database.exists():
            print(f"== no builder yet: copying {database} to {builder} once, so its segment history carries over")
            seeding = builder.with_name(f"{builder.name}.seeding")
            shutil.copy2(database, seeding)
            os.replace(seeding, builder)
        return
    with duckdb.connect() as con:
        catalog = attach_builder(con, builder, read_only=not unpublished.exists())
        if unpublished.exists():
            print(f"== the last build in {builder} was not published: its marts become the published ones again")
            reset_builder_marts(con, catalog, database)


def reset_builder_marts(con: duckdb.DuckDBPyConnection, catalog: str, database: Path) -> None:
    """Make the marts tables of the builder (attached to con as catalog) those of the published file:
    each one the published file holds is copied back (the history's rows into its own table, which
    dbt appends to), any other is dropped. Views stay: they read the builder's tables."""
    schema = marts_schema(con, catalog)
    published: list[str] = []
    if database.exists():
        con.execute(f"attach {_literal(database)} as {PUBLISHED_ALIAS} (read_only)")
        published = relations(con, PUBLISHED_ALIAS, schema, tables_only=True)
    con.execute("begin")
    for name in relations(con, catalog, schema, tables_only=True):
        built = f"{_quote(catalog)}.{_quote(schema)}.{_quote(name)}"
        source = f"{PUBLISHED_ALIAS}.{_quote(schema)}.{_quote(name)}"
        if name not in published:
            con.execute(f"drop table {built}")
        elif name == HISTORY:
            con.execute(f"delete from {built}")
            con.execute(f"insert into {built} by name select * from {source}")
        else:
            con.execute(f"create or replace table {built} as select * from {source}")
    con.execute("commit")


def write_published_copy(builder: Path, publishing: Path, signals: SignalForwarding) -> str:
    """Copy the marts schema of builder (its tables, and its views' rows) and PUBLISHED_SEEDS into the
    new file publishing, as tables with the builder's column types and NOT NULL columns; checkpoint
    it. Returns the marts schema. Stops between tables when publish is signalled."""
    began = time.monotonic()
    with duckdb.connect() as con:
        catalog = attach_builder(con, builder, read_only=True)
        schema = marts_schema(con, catalog)
        marts = relations(con, catalog, schema)
        seeds = [seed for seed in PUBLISHED_SEEDS if seed in relations(con, catalog, f"{schema}_seeds", True)]
        copies = [(schema, name) for name in marts] + [(f"{schema}_seeds", name) for name in seeds]
        con.execute(f"attach {_literal(publishing)} as {PUBLISHING_ALIAS}")
        for table_schema, name in copies:
            if signals.received is not None:
                break
            source = f"{_quote(catalog)}.{_quote(table_schema)}.{_quote(name)}"
            copy = f"{PUBLISHING_ALIAS}.{_quote(table_schema)}.{_quote(name)}"
            con.execute(f"create schema if not exists {PUBLISHING_ALIAS}.{_quote(table_schema)}")
            con.execute(f"create table {copy} as select * from {source} limit 0")
            for (column,) in con.execute(
                "select column_name from information_schema.columns where table_catalog = ? and table_schema = ?"
                " and table_name = ? and is_nullable = 'NO'",
                [catalog, table_schema, name],
            ).fetchall():
                con.execute(f"alter table {copy} alter column {_quote(column)} set not null")
            con.execute(f"insert into {copy} select * from {source}")
        con.execute(f"checkpoint {PUBLISHING_ALIAS}")
        con.execute(f"detach {PUBLISHING_ALIAS}")
    size = publishing.stat().st_size / 1e6
    print(
        f"== copied the {len(marts)} tables and views of {schema} and {len(seeds)} seeds into {publishing}: "
        f"{size:,.1f} MB in {time.monotonic() - began:.1f} s",
        flush=True,
    )
    return schema


def write_parquet(con: duckdb.DuckDBPyConnection, parquet_dir: Path, schema: str = "main") -> Path:
    """Each published mart as <parquet_dir>.<stamp>/<mart>.parquet; the folder to link to."""
    version = parquet_dir.with_name(f"{parquet_dir.name}.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}")
    version.mkdir(parents=True)
    for mart in PUBLISHED_MARTS:
        target = _literal(version / f"{mart}.parquet")
        con.execute(f"copy (select * from {_quote(schema)}.{_quote(mart)}) to {target} (format parquet)")
    return version


def swap_link(link: Path, target: Path) -> None:
    """Point link at target in one rename (readers see the old folder or the new, never half), then
    remove the folders no longer linked."""
    if link.exists() and not link.is_symlink():
        raise ValueError(f"{link} exists and is not a link made by publish: move it away first")
    temporary = link.with_name(f".{link.name}.link")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target.name)
    os.replace(temporary, link)
    for old in link.parent.glob(f"{link.name}.*"):
        if old.is_dir() and old.name != target.name:
            shutil.rmtree(old, ignore_errors=True)
