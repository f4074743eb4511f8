"""Command line: ``risk-segmentation generate --customers 1000000 --out data/large``;
``risk-segmentation history --from 2024-01 --to 2024-12`` (segment history, month end by month end);
``risk-segmentation export --dimension rfm_segment --segment at_risk --out at_risk.csv`` (campaign lists);
``risk-segmentation report --out report.html`` (the segment report, one self-contained HTML file)."""

from __future__ import annotations

import argparse
import calendar
import time
from datetime import date
from pathlib import Path

import duckdb
import yaml

from risk_segmentation import generator, publish, report

# What campaign tools need of customer_segments: the key, the hashed email to
# match lists on, every segment dimension, the playbook, the repurchase probability and the date.
EXPORT_COLUMNS = [
    "customer_id", "email_sha256", "rfm_segment", "lifecycle_stage", "is_at_risk", "churn_risk",
    "return_tier", "return_risk_score", "value_tier", "risk_value_quadrant", "playbook",
    "repurchase_probability", "as_of_date",
]  # fmt: skip
PUBLISHED_DATABASE = "risk_segmentation.duckdb"  # what BI reads; dbt never builds into it (publish.py)
# The segment names of each dimension: from the seeds where they are data, as (seed, ordered by), the seed
# wherever the file holds it (report.seed_values: <schema>_seeds, or a host project's own version).
DIMENSION_VALUES = {
    "rfm_segment": ("rfm_segment_map", "segment_priority"),
    "risk_value_quadrant": ("risk_value_quadrants", "quadrant_priority"),
    "lifecycle_stage": ["active", "at_risk", "lapsed"],
    "return_tier": ["champion", "standard", "at_risk", "serial_returner"],
    "churn_risk": ["high", "low"],
    "value_tier": ["high", "low"],
}


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
    out = Path(args.out)
    counts = generator.write(config, out, args.format, args.prefix, args.loads)
    elapsed = time.perf_counter() - began
    for table, rows in counts.items():
        if args.loads == "daily":
            folder = out / f"{args.prefix}{table}"
            files = len(list(folder.glob(f"*.{args.format}")))
            print(f"{table:12} {rows:>12,} rows -> {folder}/ ({files:,} daily load files)")
        else:
            print(f"{table:12} {rows:>12,} rows -> {out / f'{args.prefix}{table}.{args.format}'}")
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


def parse_vars(text: str, option: str = "--vars") -> object:
    """dbt's --vars as YAML, or a ValueError naming the option and the reason. YAML reads an
    unquoted date as a date, so 2024-02-30 fails here; dbt itself would stop with a traceback."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as error:
        raise ValueError(
            f"{option} {text!r} is not valid YAML ({error}); an unquoted date must be a real day, "
            "and quoting it lets the project check it: '{as_of_date: \"2024-02-29\"}'"
        ) from error


def check_dbt_vars(dbt_args: list[str]) -> None:
    """Checks every --vars value among dbt arguments before dbt parses it (see parse_vars)."""
    for index, argument in enumerate(dbt_args):
        if argument == "--vars" and index + 1 < len(dbt_args):
            parse_vars(dbt_args[index + 1])
        elif argument.startswith("--vars="):
            parse_vars(argument.removeprefix("--vars="))


def _history(args: argparse.Namespace) -> int:
    """The month-end builds run in publish's builder, then publish's own build with every test: what they
    record reaches BI through publish, or not at all."""
    check_dbt_vars(args.dbt_args)
    extra_vars = parse_vars(args.vars) if args.vars else {}
    if not isinstance(extra_vars, dict) or "as_of_date" in extra_vars:
        raise ValueError("--vars must be a mapping without as_of_date (history sets it for each month end)")
    month_builds = [
        [
            "build",
            "--select", "+segment_transitions",
            "--exclude", "resource_type:unit_test",
            # Leave out tests that also read unselected models (row accounting).
            "--indirect-selection", "cautious",
            "--vars", yaml.safe_dump({**extra_vars, "as_of_date": as_of.isoformat()}, default_flow_style=True),
            *args.dbt_args,
        ]
        for as_of in month_ends(args.first, args.last)
    ]  # fmt: skip
    final_vars = ["--vars", yaml.safe_dump(extra_vars, default_flow_style=True)] if extra_vars else []
    return publish.publish(
        published_database(args), parquet_dir(args), [*final_vars, *args.dbt_args], history_builds=month_builds
    )


def _export(args: argparse.Namespace) -> int:
    database = published_database(args)
    if not database.exists():
        raise ValueError(f"no database at {database}: run the build first (make build), or pass --database")
    out = Path(args.out)
    fmt = args.format or ("parquet" if out.suffix == ".parquet" else "csv")
    with duckdb.connect(str(database), read_only=True) as con:
        schema = report.marts_schema(con, database, args.schema)
        known = DIMENSION_VALUES[args.dimension]
        valid = report.seed_values(con, database, schema, args.dimension, *known) if isinstance(known, tuple) else known
        unknown = [name for name in args.segment if name not in valid]
        if unknown:
            raise ValueError(
                f"unknown {args.dimension} {', '.join(map(repr, unknown))}; "
                f"valid: {', '.join(valid)} (or omit --segment)"
            )
        where = f"where {args.dimension} in ({', '.join('?' * len(args.segment))})" if args.segment else ""
        segments = f"{report.quoted(schema)}.customer_segments"
        query = f"select {', '.join(EXPORT_COLUMNS)} from {segments} {where} order by customer_id"
        out.parent.mkdir(parents=True, exist_ok=True)
        options = "format parquet" if fmt == "parquet" else "format csv, header true"
        con.execute(f"copy ({query}) to '{out}' ({options})", args.segment)
        rows = con.execute(f"select count(*) from read_{fmt}('{out}')").fetchall()[0][0]
    print(f"{rows:,} customers -> {out}")
    return 0


SCHEMA_HELP = (
    "schema of the marts, e.g. a host project's target schema (default: the one schema holding customer_segments)"
)


def _report(args: argparse.Namespace) -> int:
    database = published_database(args)
    charts = report.write_report(database, Path(args.out), args.schema)
    print(f"{charts} charts -> {args.out}")
    return 0


def published_database(args: argparse.Namespace) -> Path:
    """The DuckDB file BI reads: --database, else risk_segmentation.duckdb in the working folder."""
    return Path(args.database or PUBLISHED_DATABASE)


def parquet_dir(args: argparse.Namespace) -> Path | None:
    return None if args.no_parquet else Path(args.parquet_dir)


def _publish(args: argparse.Namespace) -> int:
    check_dbt_vars(args.dbt_args)
    return publish.publish(published_database(args), parquet_dir(args), args.dbt_args)


def add_publish_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--database", help=f"the published DuckDB file (default {PUBLISHED_DATABASE})")
    command.add_argument("--parquet-dir", default="parquet", help="link to the marts' Parquet files (default parquet)")
    command.add_argument("--no-parquet", action="store_true", help="publish the DuckDB file only")


def build_parser() -> argparse.ArgumentParser:
    """The command line's parser, without running anything (tests/python/test_docs.py reads it)."""
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
    gen.add_argument(
        "--loads", choices=generator.LOADS, default="single",
        help="single: one file per table (default); daily: <table>/<YYYY-MM-DD>.<format>, one load per day",
    )  # fmt: skip
    gen.add_argument("--prefix", default="", help="file name prefix, e.g. raw_ for the sample seeds")
    gen.set_defaults(handler=_generate)

    history = commands.add_parser(
        "history",
        help="record the segments as of each month end of a range into the history, then publish",
        description="Inside publish (its builder, lock and tests): runs dbt build (+segment_transitions) once per "
        "month end, oldest first, so customer_segments_history and segment_transitions record the past, then "
        "publish's dbt build with every test; only when all pass is the result published. Month ends before "
        "dates already recorded are inserted into the history (docs/definitions.md §8). Run it from the project "
        "folder (dbt reads its profiles/ unless DBT_PROFILES_DIR says otherwise).",
    )
    history.add_argument("--from", dest="first", required=True, help="first month, YYYY-MM")
    history.add_argument("--to", dest="last", required=True, help="last month, YYYY-MM")
    history.add_argument("--vars", help="other dbt vars, as YAML, e.g. '{raw_data_dir: data/shop}'")
    add_publish_options(history)
    history.add_argument("dbt_args", nargs="*", help="further dbt arguments, after --, e.g. -- --target postgres")
    history.set_defaults(handler=_history)

    export = commands.add_parser(
        "export",
        help="write one segment, several, or every customer of customer_segments to CSV or Parquet",
        description="Reads customer_segments from the published DuckDB file (--database, "
        "default risk_segmentation.duckdb) and writes the columns campaign tools need: "
        + ", ".join(EXPORT_COLUMNS)
        + ".",
    )
    export.add_argument(
        "--dimension", choices=list(DIMENSION_VALUES), default="rfm_segment",
        help="the segment column to filter on (default rfm_segment)",
    )  # fmt: skip
    export.add_argument(
        "--segment", action="append", default=[],
        help="segment name to export (repeat for several); omit for every customer",
    )  # fmt: skip
    export.add_argument("--out", required=True, help="file to write; .parquet means Parquet unless --format says")
    export.add_argument("--format", choices=["csv", "parquet"], help="csv (default) or parquet")
    export.add_argument("--database", help=f"DuckDB file of the build (default {PUBLISHED_DATABASE})")
    export.add_argument("--schema", help=SCHEMA_HELP)
    export.set_defaults(handler=_export)

    rep = commands.add_parser(
        "report",
        help="write the segment report: one HTML file of charts, readable offline",
        description=report.__doc__,
    )
    rep.add_argument("--out", default="report.html", help="file to write (default report.html)")
    rep.add_argument("--database", help=f"DuckDB file of the build (default {PUBLISHED_DATABASE})")
    rep.add_argument("--schema", help=SCHEMA_HELP)
    rep.set_defaults(handler=_report)

    pub = commands.add_parser(
        "publish",
        help="dbt build in the builder database, then publish the marts atomically if every test passed",
        description=publish.__doc__,
    )
    add_publish_options(pub)
    pub.add_argument("dbt_args", nargs="*", help="dbt build arguments, after --, e.g. -- --vars '{as_of_date: ...}'")
    pub.set_defaults(handler=_publish)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ValueError as error:
        parser.error(str(error))
        return 2
