"""Command line: ``risk-segmentation generate --customers 1000000 --out data/large``;
``risk-segmentation history --from 2024-01 --to 2024-12`` (segment history, month end by month end)."""

from __future__ import annotations

import argparse
import calendar
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import yaml

from risk_segmentation import generator


def _generate(args: argparse.Namespace) -> int:
    config = generator.GeneratorConfig(
        customers=args.customers,
        seed=args.seed,
        orders_per_customer=args.orders_per_customer,
        start=args.start,
        end=args.end,
        dirt=args.dirt,
    )
    began = time.perf_counter()
    counts = generator.write(config, Path(args.out), args.format, args.prefix)
    elapsed = time.perf_counter() - began
    for table, rows in counts.items():
        print(f"{table:12} {rows:>12,} rows -> {Path(args.out) / f'{args.prefix}{table}.{args.format}'}")
    print(f"generated in {elapsed:.1f} s")
    return 0


def month_ends(first: str, last: str) -> list[date]:
    """The last day of every month from first to last (YYYY-MM), both included."""
    try:
        year, month = (int(part) for part in first.split("-"))
        last_year, last_month = (int(part) for part in last.split("-"))
        date(year, month, 1), date(last_year, last_month, 1)
    except ValueError as error:
        raise ValueError(f"months must be written YYYY-MM, got {first!r} and {last!r}") from error
    if (year, month) > (last_year, last_month):
        raise ValueError(f"--from {first} is after --to {last}")
    ends = []
    while (year, month) <= (last_year, last_month):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return ends


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else (shutil.which("dbt") or "dbt")


def _history(args: argparse.Namespace) -> int:
    extra_vars = yaml.safe_load(args.vars) if args.vars else {}
    if not isinstance(extra_vars, dict) or "as_of_date" in extra_vars:
        raise ValueError("--vars must be a mapping without as_of_date (history sets it for each month end)")
    for as_of in month_ends(args.first, args.last):
        command = [
            _dbt_executable(), "build",
            "--select", "+segment_transitions",
            "--exclude", "resource_type:unit_test",
            # Leave out tests that also read unselected models (row accounting).
            "--indirect-selection", "cautious",
            "--vars", yaml.safe_dump({**extra_vars, "as_of_date": as_of.isoformat()}, default_flow_style=True),
            *args.dbt_args,
        ]  # fmt: skip
        print(f"== as of {as_of}: {' '.join(command)}", flush=True)
        completed = subprocess.run(command, check=False)
        if completed.returncode != 0:
            print(f"history stopped: the build as of {as_of} failed", file=sys.stderr)
            return completed.returncode
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="risk-segmentation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write the four raw tables of a synthetic shop")
    gen.add_argument("--customers", type=int, default=3000, help="number of customers (default 3000)")
    gen.add_argument("--seed", type=int, default=42, help="random seed: same seed, same bytes (default 42)")
    gen.add_argument("--orders-per-customer", type=float, default=10.0, help="mean orders per customer (default 10)")
    gen.add_argument("--start", default="2022-01-01", help="first day of the order history")
    gen.add_argument("--end", default="2024-12-31", help="last day of the order history")
    gen.add_argument("--dirt", type=float, default=1.0, help="scale of every dirty-row rate; 0 = clean")
    gen.add_argument("--format", choices=["csv", "parquet"], default="csv")
    gen.add_argument("--out", required=True, help="folder to write <prefix><table>.<format> into")
    gen.add_argument("--prefix", default="", help="file name prefix, e.g. raw_ for the sample seeds")
    gen.set_defaults(handler=_generate)

    history = commands.add_parser(
        "history",
        help="build the segments as of each month end in turn, recording the snapshot history and transitions",
        description="Runs dbt build (+segment_transitions) once per month end, oldest first, so the "
        "customer_segments_history snapshot and segment_transitions record the past. Run it from the project "
        "folder (DBT_PROFILES_DIR set as for dbt); months must go forward from the latest already recorded.",
    )
    history.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    history.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    history.add_argument("--vars", help="other dbt vars, as YAML, e.g. '{raw_data_dir: data/shop}'")
    history.add_argument("dbt_args", nargs="*", help="further dbt arguments, after --, e.g. -- --target postgres")
    history.set_defaults(handler=_history)

    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        parser.error(str(error))
        return 2
