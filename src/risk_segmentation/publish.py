"""Write, audit, publish: build into a copy of the published DuckDB file, test it there,
and only when everything passes replace the published file (and its Parquet copies) atomically.

BI readers keep the file they opened (a rename never touches an open file), never block the
build (it writes another file), and a failed build leaves the last good marts published.

One publish at a time, and no dbt left behind:
- Lock: publish holds flock(LOCK_EX | LOCK_NB) on <database>.publish.lock from before it touches
  <name>.building.duckdb until the rename is done. A second publish of the same file stops at
  once, exit code 75 (EX_TEMPFAIL, "try again later"), naming the file and the running publish's
  pid. The kernel drops a flock when its holder dies, however it dies, so no stale lock remains;
  the lock file itself stays (deleting it would race with the next publish locking it).
- Signals: dbt runs in its own process group. SIGINT, SIGTERM and SIGHUP to publish are passed on
  to that group; publish waits for dbt (SIGKILL after 30 s), deletes the building file and exits
  128 + the signal's number, the published file and Parquet folder untouched. A signal after dbt
  finished stops publish before the rename; once the rename starts, the DuckDB file and the
  Parquet link are both swapped. On Linux dbt also gets SIGKILL when publish dies (prctl
  PR_SET_PDEATHSIG), so even a SIGKILLed publish leaves no dbt writing; its building file is
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
from collections.abc import Iterator
from pathlib import Path

import duckdb

# The marts BI and campaign tools read (spec section 9 and the ones added since),
# also published as Parquet files for tools that prefer files.
PUBLISHED_MARTS = [
    "segment_thresholds", "at_risk_customers", "rfm_segments", "return_risk_segments",
    "customer_segments", "segment_transitions", "segment_backtest",
]  # fmt: skip

EXIT_BUSY = 75  # sysexits.h EX_TEMPFAIL: another publish of the same file is running
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
SIGNAL_GRACE_SECONDS = 30  # how long dbt may take to stop after a forwarded signal before SIGKILL
CHECKOUT_DIR = Path(__file__).resolve().parents[2]  # <checkout>/src/risk_segmentation/publish.py
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def building_path(database: Path) -> Path:
    return database.with_name(f"{database.stem}.building{database.suffix}")


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


def remove_building(building: Path) -> None:
    for leftover in (building, Path(f"{building}.wal")):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(f"{building}.tmp", ignore_errors=True)  # DuckDB's spill folder


def publish(database: Path, parquet_dir: Path | None, dbt_args: list[str]) -> int:
    """dbt build into <name>.building.duckdb; on success rename it over database. Returns dbt's exit
    code, 128 + a signal's number when stopped by it, or EXIT_BUSY when another publish is running."""
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
            return _publish_locked(database, parquet_dir, dbt_args, signals)


def _publish_locked(database: Path, parquet_dir: Path | None, dbt_args: list[str], signals: SignalForwarding) -> int:
    if parquet_dir is not None and parquet_dir.exists() and not parquet_dir.is_symlink():
        raise ValueError(f"{parquet_dir} exists and is not a link made by publish: move it away first")
    building = building_path(database)
    remove_building(building)  # left by a publish that was killed
    if database.exists():
        # Start from the published file: the snapshot history lives there.
        shutil.copy2(database, building)

    env = {**dbt_env(dbt_args), "RISK_SEGMENTATION_DUCKDB_PATH": str(building), "DBT_TARGET": "dev"}
    print(f"== building into {building}", flush=True)
    returncode = signals.run_dbt([dbt_executable(), "build", *dbt_args], env)
    new_parquet, published = None, False
    try:
        if returncode == 0:
            with duckdb.connect(str(building)) as con:
                con.execute("checkpoint")  # everything in the file itself, nothing left in a WAL
                if parquet_dir is not None and signals.received is None:
                    new_parquet = write_parquet(con, parquet_dir)
            if signals.received is None:  # from here on signals only wait: file and link swap together
                os.replace(building, database)
                published = True
                if new_parquet is not None:
                    swap_link(parquet_dir, new_parquet)
    finally:
        if not published:
            remove_building(building)
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


def write_parquet(con: duckdb.DuckDBPyConnection, parquet_dir: Path) -> Path:
    """Each published mart as <parquet_dir>.<stamp>/<mart>.parquet; the folder to link to."""
    version = parquet_dir.with_name(f"{parquet_dir.name}.{time.strftime('%Y%m%dT%H%M%S')}.{os.getpid()}")
    version.mkdir(parents=True)
    for mart in PUBLISHED_MARTS:
        con.execute(f"copy (select * from {mart}) to '{version / f'{mart}.parquet'}' (format parquet)")
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
