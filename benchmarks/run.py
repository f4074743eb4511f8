"""Benchmark: the project's dbt build against the ways users would otherwise compute RFM and at-risk.

    .venv/bin/python benchmarks/run.py [--sizes S M L] [--repeats 3]

For each size it generates a clean shop with the project's generator (Parquet, cached in
benchmarks/data/), then runs every method `--repeats` times, interleaved, each in its own process:

- dbt_all: `dbt build` of every model and the snapshot (data and unit tests excluded: the other
  methods test nothing either);
- dbt_core: `dbt build` of only what rfm_segments and at_risk_customers need;
- duckdb_sql, polars_lazy, pandas: benchmarks/alternatives.py.

Before reporting any time it checks that every method's rows equal the project's rfm_segments
(recency, frequency, monetary, scores, segment, at-risk flag) exactly. It reports the median wall
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
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
BIN = Path(sys.executable).parent
SIZES = {"S": 100_000, "M": 1_000_000, "L": 5_000_000}  # customers; about 10 orders each
METHODS = ["dbt_all", "dbt_core", "duckdb_sql", "polars_lazy", "pandas"]
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


def measured(command: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a command; its wall seconds, CPU seconds (user + system) and peak resident MiB."""
    with open(log, "w") as output:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed; see {log}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


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


def run_method(method: str, folder: Path, work: Path) -> tuple[tuple[float, float, float], pd.DataFrame]:
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
        command = [
            str(BIN / "dbt"), "build", *select, *NO_TESTS, "--vars", f"{{raw_data_dir: '{folder}'}}",
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        ]  # fmt: skip
        timing = measured(command, log, env)
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
    project = None
    for repeat in range(repeats):
        for method in methods:
            (wall, cpu, peak), rows = run_method(method, folder, work)
            if repeat == 0:
                if project is None:
                    project = canonical(rows)  # dbt_all, the first method: the project's own marts
                check_agreement(method, rows, project)
            runs[method].wall.append(wall)
            runs[method].cpu.append(cpu)
            runs[method].peak_mib.append(peak)
            print(f"{size} run {repeat + 1}/{repeats} {method}: {wall:.1f} s wall, {cpu:.1f} s CPU, {peak:.0f} MiB")
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
        "| size | method | wall s (median) | CPU s (median) | peak MiB (max) | wall / dbt_core | wall / duckdb_sql |",
        "|---|---|---|---|---|---|---|",
    ]
    for size, runs in results.items():
        wall = {method: statistics.median(measured_runs.wall) for method, measured_runs in runs.items()}
        for method, measured_runs in runs.items():
            lines.append(
                f"| {size} | {method} | {wall[method]:.1f} | {statistics.median(measured_runs.cpu):.1f} | "
                f"{max(measured_runs.peak_mib):.0f} | {ratio(wall[method], wall.get('dbt_core'))} | "
                f"{ratio(wall[method], wall.get('duckdb_sql'))} |"
            )
    return "\n".join(lines)


def goals(results: dict[str, dict[str, Runs]]) -> str:
    """The issue's goals that these runs can measure, as ratios of medians from this run."""
    lines = ["| size | goal | measured | met |", "|---|---|---|---|"]
    for size, runs in results.items():
        wall = {method: statistics.median(measured_runs.wall) for method, measured_runs in runs.items()}
        checks = [
            ("dbt_core / polars_lazy <= 1", "dbt_core", "polars_lazy", 1.0, size == "L"),
            ("dbt_core / pandas <= 0.5", "dbt_core", "pandas", 0.5, size == "L"),
            ("dbt_all / duckdb_sql <= 2", "dbt_all", "duckdb_sql", 2.0, size in ("M", "L")),
        ]
        for goal, numerator, denominator, limit, applies in checks:
            if applies and numerator in wall and denominator in wall:
                measured = wall[numerator] / wall[denominator]
                lines.append(f"| {size} | {goal} | {measured:.2f} | {'yes' if measured <= limit else 'no'} |")
        if size == "L":
            peak = max(runs["dbt_all"].peak_mib) / 1024
            lines.append(f"| {size} | dbt_all peak memory < 4 GiB | {peak:.2f} GiB | {'yes' if peak < 4 else 'no'} |")
    return "\n".join(lines) if len(lines) > 2 else "No goal applies to these sizes and methods (set at M and L)."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=["S", "M"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--methods", nargs="+", choices=METHODS, default=METHODS, help="dbt_all always runs first: the reference"
    )
    parser.add_argument("--data-dir", type=Path, default=BENCH_DIR / "data")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results.md")
    arguments = parser.parse_args()
    methods = ["dbt_all", *[method for method in arguments.methods if method != "dbt_all"]]
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
