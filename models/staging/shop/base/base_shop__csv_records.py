"""What the base models need to read the raw CSV files (file mode, DuckDB only).

For each raw CSV file in var raw_data_dir (<table>.csv, or every load file
<table>/*.csv of a batched table), one table of:

- a `header` per read group (line 1): the column names as written, the files
  of the group, the number of data records, and `read_expression`, the DuckDB
  read of their readable records that the base model selects from. The load
  files of a table that share one header line form one group, read in one
  pass (one read per file cost 12 ms a file in every query of the base view);
- every `unreadable` record, with the line of the file it starts on, the
  reason and its text: a record DuckDB's strict reader refuses (wrong field
  count, broken quoting, invalid UTF-8, over 2 MB);
- a `problem` instead of a header when the file cannot be read at all (0 bytes,
  a header that is no CSV line); the base model stops the build, naming it.

The dialect is fixed, never guessed: RFC 4180 (comma, or var
raw_csv_delimiter; double quote, doubled inside a quoted field; a header line;
records end in CRLF or LF). DuckDB reads it in strict mode: one parallel pass
over the file here finds the unreadable records, and the base model's view
reads the file again skipping exactly those (the same read).
Strict mode refuses a file that mixes CRLF and LF line endings (and a lone CR
outside quotes); such a file is read here by Python's csv module instead, the
same dialect, and every record is stored (`record` rows with their fields):
exact, and far slower (see DECISIONS.md, "Raw data"), for a file an editor or
an append made inconsistent.

Nothing here raises for bad data: the base models (macros/raw_data/
conform_raw_table.sql) turn problems into messages, so every message about a
raw table is written in one place.
"""

from __future__ import annotations

import csv
import os
import re

import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("source_table", pa.string()),
        ("source_file", pa.string()),  # the file's path, as the base models name it (header: the group's first)
        ("read_group", pa.string()),  # <table>:<n>, the files read together
        ("record_kind", pa.string()),  # header, unreadable, record, problem
        ("reader", pa.string()),  # duckdb (strict, parallel) or python (csv module)
        ("line_number", pa.int64()),  # the file's line the record starts on
        ("reason", pa.string()),  # unreadable: why; header read by python: why DuckDB refused
        ("record_text", pa.string()),  # the record as written (shortened); problem: what is wrong
        ("fields", pa.list_(pa.string())),  # header: column names; record: values
        ("record_count", pa.int64()),  # header: data records, readable or not
        ("read_expression", pa.string()),  # header, duckdb: the read of the readable records
        ("source_files", pa.list_(pa.string())),  # header: every file of the group
    ]
)
BATCH_ROWS = 100_000
MAX_RECORD_BYTES = 2_097_152  # DuckDB's max_line_size: a longer record is unreadable
MAX_TEXT = 1_000  # characters of an unreadable record's text kept for investigation

# DuckDB's reject error types, by reason. A record with several errors gets
# the first reason of REASON_ORDER, in both readers.
DUCKDB_REASONS = {
    "TOO MANY COLUMNS": "wrong_field_count",
    "MISSING COLUMNS": "wrong_field_count",
    "UNQUOTED VALUE": "broken_quoting",
    "INVALID ENCODING": "invalid_utf8",
    "LINE SIZE OVER MAXIMUM": "record_too_long",
}
REASON_ORDER = ["invalid_utf8", "broken_quoting", "wrong_field_count", "record_too_long", "unparseable_record"]
INVALID_BYTE = re.compile("[\udc80-\udcff]")  # an undecodable byte, under errors="surrogateescape"


def model(dbt, session):
    dbt.config(materialized="table")
    meta = dbt.config.get("meta") or {}
    folder = str(meta.get("raw_data_dir") or "").strip().rstrip("/")
    delimiter = csv_delimiter(meta.get("raw_csv_delimiter"))
    rows = []
    fallbacks = []
    for table in meta.get("raw_tables") or []:
        groups: dict[tuple, list[str]] = {}  # files by header line, in name order
        for path in csv_files(folder, table):
            if os.path.getsize(path) == 0:
                rows.append(row((table, path, path), "problem", text=EMPTY_FILE))
                continue
            header, problem = read_header(path, delimiter)
            if problem:
                rows.append(row((table, path, path), "problem", text=problem))
                continue
            groups.setdefault(tuple(header), []).append(path)
        for number, (header, paths) in enumerate(groups.items()):
            read_group(session, table, f"{table}:{number}", paths, list(header), delimiter, rows, fallbacks)
    return pa.RecordBatchReader.from_batches(SCHEMA, batches(rows, fallbacks, delimiter))


def csv_delimiter(value) -> str:
    """The delimiter from var raw_csv_delimiter (checked by var_rules): one character, or \\t for tab."""
    text = "," if value is None or value == "" else str(value)
    text = "\t" if text == "\\t" else text
    if len(text) != 1:
        raise ValueError(f"var 'raw_csv_delimiter': expected one character, got {value!r}")
    return text


def csv_files(folder: str, table: str) -> list[str]:
    """The table's CSV file, or its load files in name order, as the base models' glob lists them."""
    if not folder:
        return []
    single = [f"{folder}/{table}.csv"] if os.path.isfile(f"{folder}/{table}.csv") else []
    loads = f"{folder}/{table}"
    if not os.path.isdir(loads):
        return single
    return single + sorted(f"{loads}/{name}" for name in os.listdir(loads) if name.endswith(".csv"))


EMPTY_FILE = "is empty (0 bytes): it has no header line naming its columns"


def row(source, kind, reader="duckdb", line=None, reason=None, text=None, fields=None, count=None, read=None):
    table, path, group = source
    return {
        "source_table": table,
        "source_file": path,
        "read_group": group,
        "record_kind": kind,
        "reader": reader,
        "line_number": line,
        "reason": reason,
        "record_text": text,
        "fields": fields,
        "record_count": count,
        "read_expression": read,
        "source_files": None,
    }


def shortened(text: str) -> str:
    text = text.strip("\r\n")
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"... ({len(text)} characters)"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_group(session, table, group, paths, header, delimiter, rows, fallbacks) -> None:
    """Files that share a header: the clean ones read together, each other one alone storing its
    rejects (DuckDB 2.0 stores no rejects in a read of five files or more), and a file the strict
    reader refuses whole by Python's csv module."""
    columns = [f"c{i}" for i in range(len(header))]
    # Every read of the base model must skip the same records as the reads here, so they read
    # alike: every column, whatever a query selects (DuckDB checks UTF-8 only in the columns it
    # reads; hash() is never null, a filter the optimizer cannot drop).
    every_column = f"hash({', '.join(columns)}) is not null"

    def read(files: list[str], options: str = "") -> str:
        listed = "[" + ", ".join(sql_literal(path) for path in files) + "]"
        return (
            f"read_csv({listed}, delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"',"
            " header = true, auto_detect = false, strict_mode = true, filename = true,"
            " columns = {" + ", ".join(f"'{column}': 'VARCHAR'" for column in columns) + "}"
            f"{options}) where {every_column}"
        )

    def header_row(files: list[str], count: int, expression: str) -> dict:
        head = row((table, files[0], group), "header", line=1, fields=header, count=count, read=expression)
        return {**head, "source_files": files}

    if len(paths) > 1:
        # Each file is checked alone: a strict read of five files or more skips a record left in an
        # open quote at the end of a file without an error (DuckDB 2.0). The clean files are then
        # read together, so the base view reads them in one pass; a file holding an unreadable
        # record is read alone, storing its rejects.
        counts = {path: strict_count(session, read([path])) for path in paths}
        clean = [path for path in paths if counts[path] is not None]
        if clean:
            total = sum(counts[path] for path in clean)
            rows.append(header_row(clean, total, f"(select * from {read(clean)})"))
        for number, path in enumerate(path for path in paths if counts[path] is None):
            read_group(session, table, f"{group}:{number}", [path], header, delimiter, rows, fallbacks)
        return

    # One file: a strict read storing its rejects (ignore_errors instead would also skip the record
    # after text behind a closing quote). The base model's reads store theirs in a temporary table of
    # their own connection, unread.
    path = paths[0]
    name = group.replace(":", "_")  # the temporary rejects tables of this file

    def read_storing_rejects(prefix: str) -> str:
        options = f", store_rejects = true, rejects_table = '{prefix}_rejects', rejects_scan = '{prefix}_scans'"
        return read(paths, options + ", rejects_limit = 0")

    rejects, scans = f"csv_scan_{name}_rejects", f"csv_scan_{name}_scans"
    try:
        session.execute(f"drop table if exists temp.main.{rejects}")
        session.execute(f"drop table if exists temp.main.{scans}")
        readable = session.execute(f"select count(*) from {read_storing_rejects(f'csv_scan_{name}')}").fetchall()
        readable = readable[0][0]  # fetchall: the rejects table is written when the query ends
        errors = session.execute(
            f"select line, min(line_byte_position), list(error_type), min(csv_line) from temp.main.{rejects}"
            " group by line order by line"
        ).fetchall()
    except Exception as error:  # noqa: BLE001 - any refusal of the strict reader: read exactly in Python
        cause = str(error).strip().splitlines()[0]
        fallbacks.append(((table, path, group), len(header), cause))
        return
    starts = [record_start(path, position) for _, position, _, _ in errors]
    lines = line_numbers(path, starts)
    unreadable = [
        row(
            (table, path, group),
            "unreadable",
            line=lines[start],
            reason=first_reason(DUCKDB_REASONS.get(error_type, "unparseable_record") for error_type in types),
            text=shortened(text or ""),
        )
        for (_, _, types, text), start in zip(errors, starts, strict=True)
    ]
    count = readable + len(unreadable)
    rows.append(header_row(paths, count, f"(select * from {read_storing_rejects(f'csv_read_{name}')})"))
    rows.extend(unreadable)


def strict_count(session, read: str) -> int | None:
    """The records of a strict read, or None when it meets an unreadable one."""
    try:
        return session.execute(f"select count(*) from {read}").fetchall()[0][0]
    except Exception:  # noqa: BLE001 - the read refused a record
        return None


def read_header(path, delimiter):
    """The column names of the first line, or a problem."""
    with open(path, "rb") as file:
        line = file.readline(MAX_RECORD_BYTES + 1)
    try:
        text = line.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        return None, f"has a header line that is not UTF-8 (byte {error.start + 1})"
    try:
        records = list(csv.reader([text], delimiter=delimiter, quotechar='"', doublequote=True, strict=True))
    except csv.Error as error:
        return None, f"has a header line that is not a CSV line ({error}); column names need closed quotes"
    header = records[0] if records else []
    if not header or header == [""]:
        return None, "has an empty first line: it needs a header line naming its columns"
    return header, None


def first_reason(reasons) -> str:
    return min(reasons, key=REASON_ORDER.index)


def record_start(path, position) -> int:
    """The byte a rejected record starts at: DuckDB's position can point at the end of the line before."""
    start = max(position - 1, 0)
    with open(path, "rb") as file:
        file.seek(start)
        ahead = file.read(64)
    return start + len(ahead) - len(ahead.lstrip(b"\r\n"))


def line_numbers(path, starts) -> dict[int, int]:
    """The line number of each byte offset: 1 + the line feeds before it. One streaming pass, when needed."""
    numbers, done, line = {}, 0, 1
    pending = sorted(set(starts))
    if not pending:
        return numbers
    with open(path, "rb") as file:
        for start in pending:
            while done < start:
                chunk = file.read(min(start - done, 1 << 24))
                if not chunk:
                    break
                line += chunk.count(b"\n")
                done += len(chunk)
            numbers[start] = line
    return numbers


def batches(rows, fallbacks, delimiter):
    for first in range(0, len(rows), BATCH_ROWS):
        yield pa.RecordBatch.from_pylist(rows[first : first + BATCH_ROWS], schema=SCHEMA)
    for source, width, cause in fallbacks:
        yield from python_read(source, width, cause, delimiter)


def python_read(source, width, cause, delimiter):
    """Every record of a file DuckDB's strict reader refused, read by the csv module in the same dialect.
    Records end at LF or CRLF; a record's line is the line it starts on."""
    path = source[1]
    csv.field_size_limit(MAX_RECORD_BYTES)
    lines_of_record: list[bytes] = []
    line_number = 0

    def lines(file):
        nonlocal line_number
        for line in file:
            line_number += 1
            lines_of_record.append(line)
            text = line.decode("utf-8", "surrogateescape")
            yield text.removeprefix("\ufeff") if line_number == 1 else text

    out, count = [], 0
    with open(path, "rb") as file:
        reader = csv.reader(lines(file), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        while True:
            reason, fields = None, None
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as error:
                message = str(error)
                reason = (
                    "record_too_long"
                    if "field limit" in message
                    else "broken_quoting"
                    if "expected after" in message or "end of data" in message
                    else "unparseable_record"
                )
            record = b"".join(lines_of_record)
            start = line_number - len(lines_of_record) + 1
            lines_of_record.clear()
            if start == 1:
                continue  # the header, read by read_header
            if fields == [] and width > 1:
                continue  # a blank line is no record (as DuckDB reads it)
            text = record.decode("utf-8", "surrogateescape")
            reasons = [reason] if reason else []
            if INVALID_BYTE.search(text):
                reasons.append("invalid_utf8")
            if fields is not None and len(fields) != width and (fields or width > 1):
                reasons.append("wrong_field_count")
            if len(record) > MAX_RECORD_BYTES:
                reasons.append("record_too_long")
            count += 1
            if reasons:
                readable = record.decode("utf-8", "replace")
                out.append(row(source, "unreadable", "python", start, first_reason(reasons), shortened(readable)))
            else:
                values = [value if value != "" else None for value in fields] if fields else [None]
                out.append(row(source, "record", "python", fields=values))
            if len(out) == BATCH_ROWS:
                yield pa.RecordBatch.from_pylist(out, schema=SCHEMA)
                out = []
    header = read_header(path, delimiter)[0]
    out.append({**row(source, "header", "python", 1, cause, fields=header, count=count), "source_files": [path]})
    yield pa.RecordBatch.from_pylist(out, schema=SCHEMA)
