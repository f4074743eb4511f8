"""Hostile raw input, one case per row of CASES: each either stops the build with a message naming
the file, column, line or var at fault, or builds with exactly the expected rejected rows (reason
and, for a record no reader could split, the line of the file it starts on), every raw record
accounted for (clean + duplicates + rejected = the records of the file, counted here).

To add a case, append a Case to CASES; markdown_table() renders the table for docs/bad-input.md
("What happens to bad input"). Each case builds only the staging models and the tests
that account for rows, on a copy of a database that already holds the vocabulary seeds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from conftest import DBT, PROJECT_DIR, DbtResult

CUSTOMERS = b"customer_id\nc1\nc2\n"
ORDERS_HEADER = b"order_id,customer_id,ordered_at,status,order_total"
ORDER = b"o1,c1,2024-01-01,paid,10"
ROWS_MODEL = {"customers": "customer", "orders": "order", "order_items": "order_item", "returns": "return"}
CLEAN_MODEL = {"customers": "customers", "orders": "orders", "order_items": "order_items", "returns": "returns"}

# Only the staging models and the counted orders (the orphan flag), and of their tests the ones that
# account for rows and lines and check reasons. A case adds the rejected-share test where it is the
# point (Case.select): most cases are files of a few lines, a large share of them rejected.
SHARE_TEST = "test_name:loses_at_most_max_rejected_share"
SELECT = [
    "--select",
    "path:models/staging/shop,resource_type:model",
    "int_as_of_date",
    "int_customer_changes",  # int_counted_orders is a view of int_orders, which reads them
    "int_orders",
    "int_counted_orders",
    "test_name:accounts_for_every_row",
    "test_name:accounts_for_every_line",
    "path:models/staging/shop,test_name:accepted_values",
    "test_name:true_for_at_most",
    "--indirect-selection",
    "empty",
]


@dataclass(frozen=True)
class Rejected:
    table: str
    reason: str
    line: int | None = None  # the file's line, for a record no reader could split into fields


@dataclass(frozen=True)
class Case:
    id: str
    input: str  # what the files hold, one line for the Markdown table
    files: dict[str, bytes]  # <table>.csv contents; customers.csv is CUSTOMERS unless given
    vars: dict = field(default_factory=dict)
    error: tuple[str, ...] = ()  # the build stops, its output holding each fragment
    rejected: tuple[Rejected, ...] = ()  # else exactly these rows of stg_shop__rejected_rows
    records: dict[str, int] = field(default_factory=dict)  # raw records, when not one per non-blank line
    checks: tuple[tuple[str, object], ...] = ()  # (query, expected first value) after the build
    note: str = ""  # said after the outcome in the Markdown table
    warehouse: bool = False  # load the files as tables of schema shop_raw and build with raw_schema
    parquet: dict[str, str] = field(default_factory=dict)  # <table>.parquet written from this DuckDB query
    rebuild: bool = False  # build twice: the second, incremental build is the one checked
    output: tuple[str, ...] = ()  # fragments the build's output holds (a warning)
    select: tuple[str, ...] = ()  # more to build and test, such as SHARE_TEST


def lines(*rows: bytes, end: bytes = b"\n") -> bytes:
    return b"".join(row + end for row in rows)


def orders(*rows: bytes, end: bytes = b"\n") -> dict[str, bytes]:
    return {"orders": lines(ORDERS_HEADER, *rows, end=end)}


UNCLOSED = b'Q1,5,"2024-01-01,paid,10'  # a quote that never closes
MANY_CUSTOMERS = lines(b"customer_id", *(b"c%d" % n for n in range(20_500)), b'"LATEQ2"')

CASES = [
    Case(
        "quoted_field_after_row_20480",
        'customers.csv: 20,500 plain ids, then `"LATEQ2"` quoted; an order of LATEQ2',
        {"customers": MANY_CUSTOMERS, **orders(b"o1,LATEQ2,2024-01-01,paid,10")},
        checks=(
            ("select count(*) from stg_shop__customers where customer_id = 'LATEQ2'", 1),
            ("select count(*) from main_intermediate.int_counted_orders where is_orphan_customer", 0),
        ),
        note="the quotes are read as quotes, wherever the field is: the dialect is fixed, not sampled",
    ),
    Case(
        "too_many_fields",
        "orders.csv: line 3 has 6 fields under a 5-column header",
        orders(ORDER, b"o2,c1,2024-01-01,paid,10,extra", b"o3,c2,2024-01-02,paid,5"),
        rejected=(Rejected("orders", "wrong_field_count", 3),),
    ),
    Case(
        "too_few_fields",
        "orders.csv: line 2 has 2 fields",
        orders(b"o2,c1", ORDER),
        rejected=(Rejected("orders", "wrong_field_count", 2),),
    ),
    Case(
        "broken_quoting",
        'orders.csv: text after a closing quote (`"o2"x`) on line 3',
        orders(ORDER, b'"o2"x,c1,2024-01-01,paid,10', b"o3,c2,2024-01-02,paid,5"),
        rejected=(Rejected("orders", "broken_quoting", 3),),
    ),
    Case(
        "unclosed_quote",
        "orders.csv: a quote opened on line 3 and never closed",
        orders(ORDER, b'o2,c1,"2024-01-01,paid,10', b"o3,c2,2024-01-02,paid,5"),
        rejected=(Rejected("orders", "broken_quoting", 3),),
        checks=(("select string_agg(order_id, ' ' order by order_id) from stg_shop__orders", "o1 o3"),),
        note="line 3 alone is rejected; reading resumes at line 4, whose order is read",
    ),
    Case(
        "unclosed_quote_mid_file",
        'orders.csv: 3,000 orders; line 1,501 `Q1,5,"2024-01-01,paid,10` opens a quote that never closes',
        orders(*(UNCLOSED if n == 1_499 else b"o%d,c1,2024-01-01,paid,10" % n for n in range(3_000))),
        rejected=(Rejected("orders", "broken_quoting", 1_501),),
        checks=(
            ("select count(*) from stg_shop__orders", 2_999),
            ("select count(*) from stg_shop__orders where cast(substr(order_id, 2) as integer) >= 1500", 1_500),
            ("select physical_lines from stg_shop__rejected_rows", 1),
        ),
        output=("Python's csv module read", "starting on line 1501, spans several lines"),
        select=(SHARE_TEST,),
        note="the 1,500 lines after it are read again, every one an order; the lines add up: header + 3,000 records "
        "of one line; read by Python's csv module (DuckDB cannot resume after an unclosed quote); the log says so",
    ),
    Case(
        "stray_quote_closing_lines_later",
        'orders.csv: a quote opens on line 3 and closes on line 6 (`"paid"`), swallowing lines 4-5: '
        "line 4 dated `2023-02-30`, line 5 of 4 fields",
        orders(
            ORDER,
            b'o2,c1,"2024-01-01,paid,10',
            b"o3,c1,2023-02-30,paid,10",
            b"o4,c1,2024-01-01,paid",
            b'o5,c2,2024-01-02,"paid",5',
            b"o6,c2,2024-01-02,paid,5",
        ),
        rejected=(
            Rejected("orders", "broken_quoting", 3),
            Rejected("orders", "unparseable_ordered_at"),
            Rejected("orders", "wrong_field_count", 5),
        ),
        checks=(("select string_agg(order_id, ' ' order by order_id) from stg_shop__orders", "o1 o5 o6"),),
        note="each swallowed line is read on its own: a record, or rejected with its own reason",
    ),
    Case(
        "invalid_utf8",
        "orders.csv: a latin-1 byte (`pay\\xe9`) on line 3",
        orders(ORDER, b"o2,c1,2024-01-01,pay\xe9,10", b"o3,c2,2024-01-02,paid,5"),
        rejected=(Rejected("orders", "invalid_utf8", 3),),
    ),
    Case(
        "mixed_crlf_and_lf",
        "orders.csv: an export in CRLF, rows appended in LF, one of 6 fields",
        {"orders": lines(ORDERS_HEADER, ORDER, end=b"\r\n") + lines(b"o2,c2,2024-01-02,paid,5", b"o3,c2,x,paid,5,6")},
        rejected=(Rejected("orders", "wrong_field_count", 4),),
        note="read by Python's csv module (DuckDB's strict reader refuses the mix); the log says so",
    ),
    Case(
        "crlf_only_with_a_multiline_value",
        "orders.csv: CRLF; a quoted status spanning lines 2-3; 6 fields on line 4",
        orders(b'o1,c1,2024-01-01,"pa\r\nid",10', b"o2,c1,2024-01-01,paid,10,extra", end=b"\r\n"),
        records={"orders": 2},
        rejected=(Rejected("orders", "unknown_status"), Rejected("orders", "wrong_field_count", 4)),
        checks=(("select physical_lines from stg_shop__rejected_rows where rejection_reason = 'unknown_status'", 2),),
        note="line numbers are lines of the file, not records; the record of lines 2-3 says it spans 2",
    ),
    Case(
        "utf8_bom",
        "orders.csv starts with a UTF-8 byte order mark",
        {"orders": b"\xef\xbb\xbf" + lines(ORDERS_HEADER, ORDER)},
        checks=(("select count(*) from stg_shop__orders", 1),),
    ),
    Case(
        "blank_lines",
        "orders.csv: blank lines between and after the records",
        {"orders": lines(ORDERS_HEADER, ORDER, b"", b"o2,c2,2024-01-02,paid,5", b"", b"")},
        checks=(("select count(*) from stg_shop__orders", 2),),
        note="a blank line is no record",
    ),
    Case(
        "semicolons_with_the_delimiter_var",
        "orders.csv separated by `;`, var raw_csv_delimiter `;`",
        {
            "orders": lines(
                ORDERS_HEADER.replace(b",", b";"), b"o1;c1;2024-01-01;paid;10.50", b"o2;c1;2024-01-01;paid;10,50"
            )
        },
        vars={"raw_csv_delimiter": ";"},
        rejected=(Rejected("orders", "non_numeric_order_total"),),
        checks=(("select count(*) from stg_shop__orders", 1),),
        note="a decimal comma is no plain number: non_numeric_order_total",
    ),
    Case(
        "semicolons_without_the_delimiter_var",
        "orders.csv separated by `;`, no var",
        {"orders": lines(ORDERS_HEADER.replace(b",", b";"), b"o1;c1;2024-01-01;paid;10")},
        error=(
            "orders.csv lacks required column 'order_id'",
            "Its header line, split at ',' (var 'raw_csv_delimiter'), is one column",
            "set var 'raw_csv_delimiter'",
        ),
    ),
    Case(
        "tab_delimiter",
        "orders.csv separated by tabs, var raw_csv_delimiter `\\t`",
        {"orders": lines(ORDERS_HEADER.replace(b",", b"\t"), ORDER.replace(b",", b"\t"))},
        vars={"raw_csv_delimiter": "\\t"},
        checks=(("select count(*) from stg_shop__orders", 1),),
    ),
    Case(
        "two_character_delimiter",
        "var raw_csv_delimiter `;;`",
        orders(ORDER),
        vars={"raw_csv_delimiter": ";;"},
        error=("Invalid value for var 'raw_csv_delimiter': got \";;\"; expected one character",),
    ),
    Case(
        "empty_file",
        "orders.csv of 0 bytes",
        {"orders": b""},
        error=("Raw table 'orders': ", "orders.csv is empty (0 bytes)"),
    ),
    Case(
        "header_only",
        "orders.csv: a header line and no record",
        orders(),
        error=("Raw table 'orders' in ", "orders.csv has no data rows (only a header line); it is required."),
    ),
    Case(
        "empty_warehouse_table",
        "raw_schema mode: table shop_raw.customers with columns and no row",
        {"customers": b"customer_id\n", **orders(ORDER)},
        warehouse=True,
        error=("Raw table 'customers' in ", '"shop_raw"."customers" has no data rows; it is required.'),
    ),
    Case(
        "duplicated_header_column",
        "orders.csv header names order_id twice (`order_id` and ` Order_ID`)",
        {"orders": lines(ORDERS_HEADER + b", Order_ID", ORDER + b",o9")},
        error=("orders.csv has two columns named 'order_id' (columns 1 and 6",),
    ),
    Case(
        "field_of_100_kb",
        "orders.csv: an extra column holding 100 KB of text",
        {"orders": lines(ORDERS_HEADER + b",note", ORDER + b',"' + b"x" * 100_000 + b'"')},
        checks=(("select count(*) from stg_shop__orders", 1),),
    ),
    Case(
        "record_over_2_mb",
        "orders.csv: line 3 holds a 3 MB field",
        orders(ORDER, b"o2,c1,2024-01-01,paid," + b"9" * 3_000_000),
        rejected=(Rejected("orders", "record_too_long", 3),),
    ),
    Case(
        "ids_with_quotes_and_sql",
        'ids `c\'1; drop table x;--` and `"o""1"` (a quote inside a quoted id)',
        {
            "customers": lines(b"customer_id", b"c'1; drop table x;--"),
            **orders(b'"o""1",c\'1; drop table x;--,2024-01-01,paid,10'),
        },
        checks=(
            ("select order_id || ' by ' || customer_id from stg_shop__orders", "o\"1 by c'1; drop table x;--"),
            ("select count(*) from main_intermediate.int_counted_orders where is_orphan_customer", 0),
        ),
        note="ids are data: kept as written",
    ),
    Case(
        "numbers_that_are_not_plain",
        'order_total `1e3`, `NaN`, `"1,234.50"`, ` 12.50 `',
        orders(
            b"o1,c1,2024-01-01,paid,1e3",
            b"o2,c1,2024-01-01,paid,NaN",
            b'o3,c1,2024-01-01,paid,"1,234.50"',
            b"o4,c1,2024-01-01,paid, 12.50 ",
        ),
        rejected=(Rejected("orders", "non_numeric_order_total"),) * 3,
        checks=(("select order_total from stg_shop__orders", 12.5),),
    ),
    Case(
        "impossible_date",
        "ordered_at `2023-02-30`",
        orders(b"o1,c1,2023-02-30,paid,10"),
        rejected=(Rejected("orders", "unparseable_ordered_at"),),
    ),
    Case(
        "dates_in_the_future_or_out_of_range",
        "ordered_at `9999-12-31` and `0000-01-01`; a return requested `2999-01-01`; built twice",
        {
            **orders(ORDER, b"o2,c1,9999-12-31,paid,10", b"o3,c1,0000-01-01,paid,10"),
            "returns": lines(b"return_id,order_id,requested_at", b"r1,o1,2999-01-01"),
        },
        rebuild=True,
        rejected=(
            Rejected("orders", "future_ordered_at"),
            Rejected("orders", "unparseable_ordered_at"),
            Rejected("returns", "future_requested_at"),
        ),
        # The default as-of date is the day after the latest clean counted order.
        checks=(("select cast(max(ordered_at) as varchar) from stg_shop__orders", "2024-01-01 00:00:00"),),
        note="dated after the build started: not yet happened; a second build stages them again",
    ),
    Case(
        "float_ids_in_typed_parquet",
        "customers.parquet: customer_id a DOUBLE column with a null (564.0, as pandas writes it); "
        "orders.parquet: customer_id BIGINT 564",
        {},
        parquet={
            "customers": "select * from (values (564.0), (null), (565.5)) as t(customer_id)",
            "orders": "select 'o1' as order_id, 564 as customer_id, '2024-01-01' as ordered_at, 'paid' as status,"
            " 10 as order_total",
        },
        rejected=(Rejected("customers", "missing_customer_id"),),
        checks=(
            ("select count(*) from main_intermediate.int_counted_orders where is_orphan_customer", 0),
            ("select string_agg(customer_id, ' ' order by customer_id) from stg_shop__customers", "564 565.5"),
        ),
        note="an integral float id is the integer it is; another is kept as written",
    ),
    Case(
        "most_orders_orphans",
        "orders name customers `C0564`, `C0565` while customers.csv holds `564`, `565`",
        {
            "customers": lines(b"customer_id", b"564", b"565"),
            **orders(b"o1,C0564,2024-01-01,paid,10", b"o2,C0565,2024-01-01,paid,10"),
        },
        output=("WARN", "true_for_at_most_int_counted_orders_is_orphan_customer"),
        checks=(("select count(*) from main_intermediate.int_counted_orders where is_orphan_customer", 2),),
        note="builds with a warning: over 10% of the counted orders are orphans, usually ids written differently",
    ),
    Case(
        "rejected_share_above_the_limit",
        'orders.csv of 80 lines: a quote opened on line 11 closes on line 60 (`o59",paid,10`), so lines 11-60 read '
        "as one record of 5 fields, its ordered_at 50 lines long",
        orders(
            *(
                b'o10,c1,"2024-01-01,paid,10'
                if n == 10
                else b'o59",paid,10'
                if n == 59
                else b"o%d,c1,2024-01-01,paid,10" % n
                for n in range(1, 81)
            )
        ),
        select=(SHARE_TEST,),
        error=(
            "Raw table 'orders' lost 62.5% of its lines to rejection (50 of 80), above var max_rejected_share (0.25)",
            "the main reason, unparseable_ordered_at, rejected 50 of them",
        ),
        note="a record that parses is not split: the share of lines (not of rows: 1 of 31) stops the build",
    ),
    Case(
        "max_rejected_share_above_one",
        "var max_rejected_share `1.5`",
        orders(ORDER),
        vars={"max_rejected_share": 1.5},
        error=("Invalid value for var 'max_rejected_share': got 1.5; expected a share of lines from 0 to 1",),
    ),
    Case(
        "empty_raw_data_dir",
        "`--vars '{raw_data_dir: $DIR}'` with DIR unset",
        orders(ORDER),
        vars={"raw_data_dir": ""},
        error=("Invalid value for var 'raw_data_dir': got \"\", which is empty",),
    ),
    Case(
        "wildcards_in_raw_data_dir",
        "raw_data_dir `data/shop_[ab]*`",
        orders(ORDER),
        vars={"raw_data_dir": "data/shop_[ab]*"},
        error=("Invalid value for var 'raw_data_dir': got \"data/shop_[ab]*\"",),
    ),
]


def selection(case: Case) -> list[str]:
    """SELECT with the case's own additions."""
    at = SELECT.index("--indirect-selection")
    return [*SELECT[:at], *case.select, *SELECT[at:]]


def raw_records(case: Case, table: str) -> int:
    """The records of a raw file, counted here: its non-blank lines after the header, unless the case says."""
    if table in case.records:
        return case.records[table]
    if table in case.parquet:
        with duckdb.connect() as con:
            return con.execute(f"select count(*) from ({case.parquet[table]})").fetchall()[0][0]
    return sum(1 for line in case.files.get(table, CUSTOMERS).splitlines()[1:] if line)


def file_lines(data: bytes, delimiter: str) -> tuple[int, int]:
    """A CSV file's lines (each ends in LF; a last line may lack it) and its blank lines (empty, or a
    CR alone; in a file of one column, a blank line is a record). No case has a blank line inside a
    quoted value."""
    rows = data.split(b"\n")
    if rows[-1] == b"":
        rows.pop()
    width = rows[0].count(("\t" if delimiter == "\\t" else delimiter).encode()) + 1
    return len(rows), (sum(1 for row in rows[1:] if row in (b"", b"\r")) if width > 1 else 0)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory):
    """Build a case into its own copy of a database holding the vocabulary seeds. One folder, target
    and set of vars for every case, so dbt parses the project once (partial parsing)."""
    root = tmp_path_factory.mktemp("hostile")
    raw = root / "raw"
    raw.mkdir()
    template = root / "seeded.duckdb"

    def dbt(args: list[str], database: Path, vars: dict) -> DbtResult:
        command = [DBT, *args, "--target-path", str(root / "target"), "--log-path", str(root / "logs")]
        env = {
            **os.environ,
            "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
            "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
            "DBT_TARGET": "dev",
        }
        completed = subprocess.run(
            [*command, "--vars", json.dumps(vars)],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        return DbtResult(completed.returncode, completed.stdout + completed.stderr, database)

    seeded = dbt(["seed"], root / "build.duckdb", {"raw_data_dir": str(raw)})
    assert seeded.returncode == 0, seeded.output
    shutil.copy(root / "build.duckdb", template)

    def run(case: Case) -> DbtResult:
        shutil.rmtree(raw)
        raw.mkdir()
        files = {"customers": CUSTOMERS, **case.files}
        database = root / "build.duckdb"  # one path: another would change the profile and force a full parse
        shutil.copy(template, database)
        if case.warehouse:
            with duckdb.connect(str(database)) as con:
                con.execute("create schema shop_raw")
                for table, data in files.items():
                    (raw / f"{table}.csv").write_bytes(data)
                    con.execute(
                        f"create table shop_raw.{table} as"
                        f" select * from read_csv('{raw / table}.csv', header = true, all_varchar = true)"
                    )
            return dbt(["build", *selection(case)], database, {"raw_schema": "shop_raw", **case.vars})
        for table, data in files.items():
            if table not in case.parquet:
                (raw / f"{table}.csv").write_bytes(data)
        with duckdb.connect() as con:
            for table, query in case.parquet.items():
                con.execute(f"copy ({query}) to '{raw / table}.parquet' (format parquet)")
        built = dbt(["build", *selection(case)], database, {"raw_data_dir": str(raw), **case.vars})
        if case.rebuild and built.returncode == 0:
            return dbt(["build", *selection(case)], database, {"raw_data_dir": str(raw), **case.vars})
        return built

    return run


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(build, case: Case) -> None:
    result = build(case)
    if case.error:
        assert result.returncode != 0, result.output
        for fragment in case.error:
            assert fragment in result.output
        return
    assert result.returncode == 0, result.output
    for fragment in case.output:
        assert fragment in result.output
    rejected = result.query("select source_table, rejection_reason, file_line_number from stg_shop__rejected_rows")
    assert Counter(rejected) == Counter((row.table, row.reason, row.line) for row in case.rejected)
    for table in {"customers", *case.files, *case.parquet}:
        clean = result.scalar(f"select count(*) from stg_shop__{CLEAN_MODEL[table]}")
        duplicates = result.scalar(
            f"select count(*) from stg_shop__{ROWS_MODEL[table]}_rows where row_disposition = 'duplicate'"
        )
        rejected_rows = result.scalar(f"select count(*) from stg_shop__rejected_rows where source_table = '{table}'")
        assert (table, clean + duplicates + rejected_rows) == (table, raw_records(case, table))
    for table, data in {"customers": CUSTOMERS, **case.files}.items():
        if case.warehouse or table in case.parquet:
            continue
        # Every line of the file, counted here: the header, the blank lines and the lines of its records.
        lines, blank = file_lines(data, case.vars.get("raw_csv_delimiter", ","))
        spans = result.scalar(f"select coalesce(sum(physical_lines), 0) from base_shop__{table}")
        assert (table, 1 + blank + spans) == (table, lines)
    for query, expected in case.checks:
        assert result.scalar(query) == expected, query


def outcome(case: Case) -> str:
    if case.error:
        said = "; ".join(f"`{fragment}`" for fragment in case.error)
        text = f"the build stops: {said}"
    else:
        reasons = [row.reason + (f" (line {row.line})" if row.line else "") for row in case.rejected]
        text = "builds; rejected: " + ", ".join(reasons) if reasons else "builds; nothing rejected"
    return text + (f"; {case.note}" if case.note else "")


def markdown_table(cases: list[Case] = CASES) -> str:
    """The cases as a Markdown table (case, input, outcome), for docs/bad-input.md."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    rows = ["| case | input | outcome |", "|---|---|---|"]
    rows += [f"| {cell(case.id)} | {cell(case.input)} | {cell(outcome(case))} |" for case in cases]
    return "\n".join(rows) + "\n"


def test_the_markdown_table_has_a_row_per_case() -> None:
    table = markdown_table()
    assert len(table.splitlines()) == len(CASES) + 2
    assert len({case.id for case in CASES}) == len(CASES)


def test_the_docs_table_is_the_cases_table() -> None:
    docs = (PROJECT_DIR / "docs" / "bad-input.md").read_text(encoding="utf-8")
    start = docs.index("<!-- hostile-input-table")
    start = docs.index("\n", start) + 1
    end = docs.index("<!-- end hostile-input-table -->")
    assert docs[start:end] == markdown_table(), "regenerate the docs/bad-input.md table from markdown_table()"
