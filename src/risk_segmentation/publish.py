"""Write, audit, publish: build into a copy of the published DuckDB file, test it there,
and only when everything passes replace the published file (and its Parquet copies) atomically.

BI readers keep the file they opened (a rename never touches an open file), never block the
build (it writes another file), and a failed build leaves the last good marts published.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

# The marts BI and campaign tools read (spec section 9 and the ones added since),
# also published as Parquet files for tools that prefer files.
PUBLISHED_MARTS = [
    "segment_thresholds", "at_risk_customers", "rfm_segments", "return_risk_segments",
    "customer_segments", "segment_transitions", "segment_backtest",
]  # fmt: skip


def dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def building_path(database: Path) -> Path:
    return database.with_name(f"{database.stem}.building{database.suffix}")


def publish(database: Path, parquet_dir: Path | None, dbt_args: list[str]) -> int:
    """dbt build into <name>.building.duckdb; on success rename it over database. Returns dbt's exit code."""
    building = building_path(database)
    for stale in (building, Path(f"{building}.wal")):
        stale.unlink(missing_ok=True)
    if database.exists():
        # Start from the published file: the snapshot history lives there.
        shutil.copy2(database, building)

    env = {**os.environ, "RISK_SEGMENTATION_DUCKDB_PATH": str(building), "DBT_TARGET": "dev"}
    print(f"== building into {building}", flush=True)
    completed = subprocess.run([dbt_executable(), "build", *dbt_args], env=env, check=False)
    if completed.returncode != 0:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)
        print(f"build failed: {database} and its Parquet copies are unchanged", file=sys.stderr)
        return completed.returncode

    with duckdb.connect(str(building)) as con:
        con.execute("checkpoint")  # everything in the file itself, nothing left in a WAL
        new_parquet = write_parquet(con, parquet_dir) if parquet_dir is not None else None
    os.replace(building, database)
    if new_parquet is not None:
        swap_link(parquet_dir, new_parquet)
    print(f"== published {database}" + (f" and {parquet_dir}/" if parquet_dir is not None else ""), flush=True)
    return 0


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
