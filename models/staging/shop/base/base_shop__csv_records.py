"""What the base models need to read the raw CSV files (file mode, DuckDB only).

For each raw CSV file in var raw_data_dir (<table>.csv, or every load file
<table>/*.csv of a batched table), one table of:

- a `header` per read group (line 1): the column names as written, the files
  of the group, the number of data records, `read_expression`, the DuckDB
  read of their readable records that the base model selects from, and the
  group's physical lines and blank lines. The load files of a table that share
  one header line form one group, read in one pass (a read per file slowed
  every query of the base view: DECISIONS.md, "Incremental builds");
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

Every line of a file is accounted for, not only every record: a physical line
ends in LF (a last line may lack it), and a file's lines = its header line +
its blank lines + the lines each record spans (1 + the line feeds inside its
quoted fields). The lines are counted here in a pass of their own (blank ones:
outside a quoted field, an even number of quotes before them), every record
carries its span (`physical_lines`), and the data test accounts_for_every_line
checks the sum.

A file is read by Python's csv module instead, the same dialect, every record
stored (`record` rows with their fields): exact, and far slower (see
DECISIONS.md, "Raw data"), when

- the strict reader refuses it whole: CRLF and LF line endings mixed, or a
  lone CR outside quotes (a file an editor or an append made inconsistent);
- a record it cannot read spans several lines: a quoted field that never
  closes, or closes lines later (one stray quote). DuckDB 2.0 cannot resume
  after an unclosed quote: strict mode rejects everything from the quote to
  the end of the file as one record (99 of 19,313 orders read, one reject
  holding the other 19,213 lines); a parallel read resumes wherever a thread's
  chunk happens to start (52,087 of 200,000 records read, the rest silently
  gone); ignore_errors drops every line after the quote, and non-strict mode
  stops. None of its options restarts reading at the next line. The csv
  module does: such a record's first line, where the quote opened, is
  rejected on its own (broken_quoting), and reading resumes at the next
  line, so every line it swallowed is read again as the record it is, or
  rejected with its own reason;
- its records do not add up to its lines: a read the accounting cannot
  prove is not trusted (no such file is known).

Nothing here raises for bad data: the base models (macros/raw_data/
conform_raw_table.sql) turn problems into messages, so every message about a
raw table is written in one place.
"""

from __future__ import annotations

import csv
import os
import re
from collections import deque

import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("source_table", pa.string()),
        ("source_file", pa.string()),  # the file's path, as the base models name it (header: the group's first)
        ("read_group", pa.string()),  # <table>:<n>, the files read together
        ("record_kind", pa.string()),  # header, unreadable, record, problem
        ("reader", pa.string()),  # duckdb (strict, parallel) or python (csv module)
        ("line_number", pa.int64()),  # the file's line the record starts on
        ("reason", pa.string()),  # unreadable: why; header read by python: why not DuckDB (FALLBACK_CAUSES)
        ("record_text", pa.string()),  # the record as written (shortened); problem: what is wrong
        ("fields", pa.list_(pa.string())),  # header: column names; record: values
        ("record_count", pa.int64()),  # header: data records, readable or not
        ("read_expression", pa.string()),  # header, duckdb: the read of the readable records
        ("source_files", pa.list_(pa.string())),  # header: every file of the group
        ("physical_lines", pa.int64()),  # header: the lines of the group's files; record, unreadable: its lines
        ("blank_lines", pa.int64()),  # header: the blank lines of the group's files (no records)
    ]
)
BATCH_ROWS = 100_000
MAX_RECORD_BYTES = 2_097_152  # DuckDB's max_line_size: a longer record is unreadable
MAX_TEXT = 1_000  # characters of an unreadable record's text kept for investigation
CHUNK_BYTES = 1 << 24  # the line count reads the file in pieces of 16 MB

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
# Why Python read a file (a header's reason; its record_text says more). conform_raw_table logs them.
FALLBACK_CAUSES = ("strict_reader_refused", "unreadable_record_spans_lines", "records_do_not_add_up_to_lines")


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


def row(
    source, kind, reader="duckdb", line=None, reason=None, text=None, fields=None, count=None, read=None, lines=None
):
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
        "physical_lines": lines,
        "blank_lines": None,
    }


def shortened(text: str) -> str:
    text = text.strip("\r\n")
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"... ({len(text)} characters)"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_group(session, table, group, paths, header, delimiter, rows, fallbacks) -> None:
    """Files that share a header: the clean ones read together, each other one alone storing its
    rejects (DuckDB 2.0 stores no rejects in a read of five files or more), and a file DuckDB cannot
    read exactly (see the module's docstring) by Python's csv module."""
    columns = [f"c{i}" for i in range(len(header))]
    width = len(header)
    # Every read of the base model must skip the same records as the reads here, so they read
    # alike: every column, whatever a query selects (DuckDB checks UTF-8 only in the columns it
    # reads; hash() is never null, a filter the optimizer cannot drop).
    every_column = f"hash({', '.join(columns)}) is not null"
    # The lines a record spans: 1 + the line feeds in its fields (only quoted fields hold any).
    spans = "1 + " + " + ".join(
        f"(case when contains({column}, chr(10)) then strlen({column}) - strlen(replace({column}, chr(10), ''))"
        " else 0 end)"
        for column in columns
    )

    def read(files: list[str], options: str = "") -> str:
        listed = "[" + ", ".join(sql_literal(path) for path in files) + "]"
        return (
            f"read_csv({listed}, delim = {sql_literal(delimiter)}, quote = '\"', escape = '\"',"
            " header = true, auto_detect = false, strict_mode = true, filename = true,"
            " columns = {" + ", ".join(f"'{column}': 'VARCHAR'" for column in columns) + "}"
            f"{options}) where {every_column}"
        )

    def records_and_lines(read_sql: str) -> tuple[int, int]:
        """The records of a read and the lines they span (fetchall: a rejects table is written when
        the query ends)."""
        return tuple(session.execute(f"select count(*), coalesce(sum({spans}), 0) from {read_sql}").fetchall()[0])

    def header_row(files: list[str], count: int, expression: str, lines: int, blank: int) -> dict:
        head = row((table, files[0], group), "header", line=1, fields=header, count=count, read=expression)
        return {**head, "source_files": files, "physical_lines": lines, "blank_lines": blank}

    def expression(read_sql: str) -> str:
        return f"(select *, {spans} as physical_lines from {read_sql})"

    if len(paths) > 1:
        # Each file is checked alone: a strict read of five files or more skips a record left in an
        # open quote at the end of a file without an error (DuckDB 2.0). The clean files, whose
        # records add up to their lines, are then read together, so the base view reads them in one
        # pass; any other file is read alone, storing its rejects.
        checked = {path: strict_check(records_and_lines, read([path]), path, width) for path in paths}
        clean = [path for path in paths if checked[path] is not None]
        if clean:
            count, lines, blank = (sum(checked[path][i] for path in clean) for i in range(3))
            rows.append(header_row(clean, count, expression(read(clean)), lines, blank))
        for number, path in enumerate(path for path in paths if checked[path] is None):
            read_group(session, table, f"{group}:{number}", [path], header, delimiter, rows, fallbacks)
        return

    # One file: a strict read storing its rejects (ignore_errors instead would also skip the record
    # after text behind a closing quote). The base model's reads store theirs in a temporary table of
    # their own connection, unread.
    path = paths[0]
    source = (table, path, group)
    name = group.replace(":", "_")  # the temporary rejects tables of this file

    def read_storing_rejects(prefix: str) -> str:
        options = f", store_rejects = true, rejects_table = '{prefix}_rejects', rejects_scan = '{prefix}_scans'"
        return read(paths, options + ", rejects_limit = 0")

    rejects, scans = f"csv_scan_{name}_rejects", f"csv_scan_{name}_scans"
    try:
        session.execute(f"drop table if exists temp.main.{rejects}")
        session.execute(f"drop table if exists temp.main.{scans}")
        readable, readable_lines = records_and_lines(read_storing_rejects(f"csv_scan_{name}"))
        errors = session.execute(
            f"select line, min(line_byte_position), list(error_type), min(csv_line) from temp.main.{rejects}"
            " group by line order by line"
        ).fetchall()
    except Exception as error:  # noqa: BLE001 - any refusal of the strict reader: read exactly in Python
        cause = str(error).strip().splitlines()[0]
        fallbacks.append((source, width, "strict_reader_refused", cause))
        return
    starts = [record_start(path, position) for _, position, _, _ in errors]
    lines, blank, numbers = scan_lines(path, width, starts)
    # A rejected record's text runs to its end (DuckDB keeps its first 10,000 characters).
    spanned = [(text or "").rstrip("\r\n").count("\n") + 1 for _, _, _, text in errors]
    several = [numbers[start] for start, span in zip(starts, spanned, strict=True) if span > 1]
    if several:
        fallbacks.append((source, width, "unreadable_record_spans_lines", f"line {several[0]}"))
        return
    if 1 + blank + readable_lines + sum(spanned) != lines:
        detail = f"{lines} lines; header 1, blank {blank}, records {readable_lines + sum(spanned)}"
        fallbacks.append((source, width, "records_do_not_add_up_to_lines", detail))
        return
    unreadable = [
        row(
            source,
            "unreadable",
            line=numbers[start],
            reason=first_reason(DUCKDB_REASONS.get(error_type, "unparseable_record") for error_type in types),
            text=shortened(text or ""),
            lines=1,
        )
        for (_, _, types, text), start in zip(errors, starts, strict=True)
    ]
    count = readable + len(unreadable)
    rows.append(header_row(paths, count, expression(read_storing_rejects(f"csv_read_{name}")), lines, blank))
    rows.extend(unreadable)


def strict_check(records_and_lines, read: str, path: str, width: int) -> tuple[int, int, int] | None:
    """(records, lines, blank lines) of a file whose strict read meets no unreadable record and whose
    records add up to its lines; else None."""
    try:
        count, record_lines = records_and_lines(read)
    except Exception:  # noqa: BLE001 - the read refused a record
        return None
    lines, blank, _ = scan_lines(path, width)
    return (count, lines, blank) if 1 + blank + record_lines == lines else None


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


def scan_lines(path, width, starts=()) -> tuple[int, int, dict[int, int]]:
    """One streaming pass over a file: its physical lines (each ends in LF; a last line may lack it),
    its blank lines (empty, or a CR alone; outside a quoted field, i.e. with an even number of quotes
    before them; none in a file of one column, where a blank line is a record of one empty value), and
    the line of each byte offset in starts (1 + the line feeds before it)."""
    lines = blank = quotes = done = 0
    pending = sorted(set(starts))
    numbers: dict[int, int] = {}
    carry = b""  # the last two bytes of the piece before: a blank line may begin in it
    last = b""
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            while pending and pending[0] < done + len(chunk):
                start = pending.pop(0)
                numbers[start] = 1 + lines + chunk.count(b"\n", 0, start - done)
            if width > 1:
                text, offset = carry + chunk, len(carry)
                for pattern in (b"\n\n", b"\n\r\n"):
                    found = text.find(pattern)
                    while found != -1:
                        end = found + len(pattern) - 1  # the blank line's own line feed
                        if end >= offset and (quotes + text.count(b'"', offset, max(found + 1, offset))) % 2 == 0:
                            blank += 1
                        found = text.find(pattern, found + 1)
                carry = text[-2:]
            lines += chunk.count(b"\n")
            quotes += chunk.count(b'"')
            done += len(chunk)
            last = (last + chunk)[-2:]
    for start in pending:  # past the end: not expected
        numbers[start] = 1 + lines
    if last and not last.endswith(b"\n"):
        lines += 1  # a last line without a line feed
        if width > 1 and last.endswith(b"\n\r") and quotes % 2 == 0:
            blank += 1
    return lines, blank, numbers


def batches(rows, fallbacks, delimiter):
    for first in range(0, len(rows), BATCH_ROWS):
        yield pa.RecordBatch.from_pylist(rows[first : first + BATCH_ROWS], schema=SCHEMA)
    for source, width, cause, detail in fallbacks:
        yield from python_read(source, width, cause, detail, delimiter)


def csv_error_reason(message: str) -> str:
    """The reason for a csv module error."""
    if "field limit" in message:
        return "record_too_long"
    if "expected after" in message or "end of data" in message:
        return "broken_quoting"
    return "unparseable_record"


def python_read(source, width, cause, detail, delimiter):
    """Every record of a file DuckDB cannot read exactly, read by the csv module in the same dialect.
    Records end at LF or CRLF; a record's line is the line it starts on. A record no reader can split
    that spans several lines (a quoted field that never closes, or closes lines later) is not one
    record: its first line, where the quote opened, is rejected on its own, and reading resumes at the
    next line, each line after it read again."""
    path = source[1]
    csv.field_size_limit(MAX_RECORD_BYTES)
    taken: list[tuple[int, bytes]] = []  # the lines of the record being read: (line number, bytes)
    again: deque[tuple[int, bytes]] = deque()  # lines to read again, before the rest of the file

    def split(text: str) -> tuple[list[str] | None, str | None]:
        """A text's fields as one record, or the reason it is none."""
        try:
            return next(csv.reader([text], delimiter=delimiter, quotechar='"', doublequote=True, strict=True)), None
        except csv.Error as error:
            return None, csv_error_reason(str(error))

    out, count, blank = [], 0, 0
    with open(path, "rb") as file:
        numbered = enumerate(file, start=1)

        def lines():
            while True:
                number, line = again.popleft() if again else next(numbered, (None, None))
                if line is None:
                    return
                taken.append((number, line))
                text = line.decode("utf-8", "surrogateescape")
                yield text.removeprefix("\ufeff") if number == 1 else text

        def reader():
            return csv.reader(lines(), delimiter=delimiter, quotechar='"', doublequote=True, strict=True)

        records = reader()
        while True:
            reason, fields = None, None
            try:
                fields = next(records)
            except StopIteration:
                break
            except csv.Error as error:
                reason = csv_error_reason(str(error))
            spanned = list(taken)
            taken.clear()
            start = spanned[0][0]
            if start == 1:
                continue  # the header, read by read_header
            if fields == [] and width > 1:
                blank += 1  # a blank line is no record (as DuckDB reads it)
                continue
            record = b"".join(line for _, line in spanned)
            reasons = record_reasons(record, fields, reason, width)
            if reasons and len(spanned) > 1:
                # Not one record: its first line, read alone (a quote opens on it and does not close:
                # broken_quoting), and reading resumes at the next line.
                again.extendleft(reversed(spanned[1:]))
                records = reader()
                spanned = spanned[:1]
                record = spanned[0][1]
                fields, reason = split(record.decode("utf-8", "surrogateescape"))
                reasons = record_reasons(record, fields, reason, width)
            count += 1
            if reasons:
                readable = record.decode("utf-8", "replace")
                out.append(
                    row(source, "unreadable", "python", start, first_reason(reasons), shortened(readable), lines=1)
                )
            else:
                values = [value if value != "" else None for value in fields] if fields else [None]
                out.append(row(source, "record", "python", start, fields=values, lines=len(spanned)))
            if len(out) == BATCH_ROWS:
                yield pa.RecordBatch.from_pylist(out, schema=SCHEMA)
                out = []
    header = read_header(path, delimiter)[0]
    lines = scan_lines(path, width)[0]  # counted apart from the reader: the accounting checks the reader
    head = row(source, "header", "python", 1, cause, detail, fields=header, count=count, lines=lines)
    out.append({**head, "source_files": [path], "blank_lines": blank})
    yield pa.RecordBatch.from_pylist(out, schema=SCHEMA)


def record_reasons(record: bytes, fields, reason, width) -> list[str]:
    """Why a record read by the csv module is unreadable (none: it is a record)."""
    reasons = [reason] if reason else []
    if INVALID_BYTE.search(record.decode("utf-8", "surrogateescape")):
        reasons.append("invalid_utf8")
    if fields is not None and len(fields) != width and (fields or width > 1):
        reasons.append("wrong_field_count")
    if len(record) > MAX_RECORD_BYTES:
        reasons.append("record_too_long")
    return reasons
