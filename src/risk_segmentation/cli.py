"""Command line: ``risk-segmentation generate --customers 1000000 --out data/large``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

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

    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        parser.error(str(error))
        return 2
