"""The workflow the docs print, run as printed, in a copy of the project: the README's quick start (`make build`),
its hand build of your own CSV folder, the history backfill and the backtest of docs/operations.md; then every
query of docs/sample-results.md on what they made, against the table the doc prints under it. On the same build:
export and the dbt docs site; then the README's publish as of a past date, and the segment report of it (its
screenshot is docs/report.png).

A copy, so the commands may write where the docs say (risk_segmentation.duckdb, target/, parquet/) without touching
the checkout; it shares the checkout's .venv (`make -o .venv/.installed` keeps make from reinstalling into it)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from risk_segmentation import report
from risk_segmentation.cli import month_ends
from risk_segmentation.generator import GeneratorConfig, write

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "risk-segmentation"
FENCED_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def code_block(doc: str, containing: str) -> str:
    """The one fenced code block of a doc (a path under the project) that contains the text."""
    blocks = [text for _, text in FENCED_BLOCK.findall((PROJECT_DIR / doc).read_text()) if containing in text]
    assert len(blocks) == 1, f"{doc}: {len(blocks)} code blocks contain {containing!r}"
    return blocks[0]


def run_shell(folder: Path, script: str) -> str:
    """A doc's shell block as a user would paste it, in folder, with none of the test run's dbt settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBT_", "RISK_SEGMENTATION_"))}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{script}\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout's files (tracked and new, not ignored: what a clone holds) after the README's
    `make build`, then the hand build of the README, then the history backfill of docs/operations.md."""
    folder = tmp_path_factory.mktemp("workflow") / "project"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (PROJECT_DIR / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, folder / name)  # keeps mtimes: make sees the venv up to date
    (folder / ".venv").symlink_to(PROJECT_DIR / ".venv")
    quick_start = code_block("README.md", "make build")
    assert re.search(r"^make build\b", quick_start, re.MULTILINE)
    run_shell(folder, "make -o .venv/.installed build")
    return folder


@pytest.fixture(scope="module")
def hand_build(project: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The README's build by hand, on a CSV folder of our own in place of /data/shop. What the published file's
    md5 was before and after."""
    shop = tmp_path_factory.mktemp("shop")
    write(GeneratorConfig(customers=300, seed=5), shop, "csv")
    block = code_block("README.md", ".venv/bin/dbt build --vars '{raw_data_dir: /data/shop}'")
    before = md5(project / "risk_segmentation.duckdb")
    run_shell(project, block.replace("/data/shop", str(shop)))
    return {"before": before, "after": md5(project / "risk_segmentation.duckdb")}


@pytest.fixture(scope="module")
def published(project: Path, hand_build: dict[str, str]) -> Path:
    """The history backfill as docs/operations.md prints it, after make build (and the hand build)."""
    run_shell(project, code_block("docs/operations.md", "risk-segmentation history --from"))
    return project / "risk_segmentation.duckdb"


def test_a_build_by_hand_leaves_the_published_file_byte_for_byte(project: Path, hand_build: dict[str, str]) -> None:
    assert hand_build["before"] == hand_build["after"]
    with duckdb.connect(str(project / "target" / "dev.duckdb"), read_only=True) as con:
        customers = con.sql("select count(*) from main_staging.stg_shop__customers").fetchall()[0][0]
    assert 0 < customers <= 300, "the hand build went into the private file, on the given folder"


def same(printed: str, value: object) -> bool:
    """A doc's table cell against a query's value: empty is null, true/false a boolean, a date YYYY-MM-DD, and a
    number the value rounded to the digits printed (1,234.5: thousands separated)."""
    printed = printed.strip()
    if value is None or isinstance(value, bool | date):
        return printed == ("" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
    if isinstance(value, int | float | Decimal):
        if not re.fullmatch(r"-?[\d,]+(\.\d+)?", printed):
            return False
        number = Decimal(printed.replace(",", ""))
        return abs(number - Decimal(str(value))) <= Decimal(5).scaleb(number.as_tuple().exponent - 1)
    return printed == str(value)


def queries_and_tables(doc: str) -> list[tuple[str, str, list[str], list[list[str]]]]:
    """(section, sql, header, rows) for every sql block of a doc followed by a table."""
    found = []
    text = (PROJECT_DIR / doc).read_text()
    for match in re.finditer(r"^```sql\n(.*?)^```\n+((?:\|[^\n]*\n)+)", text, re.MULTILINE | re.DOTALL):
        section = re.findall(r"^## (.+)$", text[: match.start()], re.MULTILINE)[-1]
        lines = [line.strip().strip("|").split("|") for line in match.group(2).strip().splitlines()]
        header, rows = [name.strip() for name in lines[0]], lines[2:]
        found.append((section, match.group(1), header, rows))
    return found


SAMPLE_RESULTS = queries_and_tables("docs/sample-results.md")


@pytest.fixture(scope="module")
def backtest_database(project: Path, published: Path) -> Path:
    """The backtest of docs/operations.md, as printed: a build of its own, as of a past date."""
    run_shell(project, code_block("docs/operations.md", "+segment_backtest"))
    return project / "backtest.duckdb"


@pytest.mark.parametrize(
    ("section", "sql", "header", "rows"), SAMPLE_RESULTS, ids=[f"{s}: {q.split()[1]}" for s, q, _, _ in SAMPLE_RESULTS]
)
def test_sample_results_print_what_the_queries_return(
    published: Path, backtest_database: Path, section: str, sql: str, header: list[str], rows: list[list[object]]
) -> None:
    database = backtest_database if section == "Backtest" else published
    with duckdb.connect(str(database), read_only=True) as con:
        result = con.sql(sql)
        columns, actual = result.columns, result.fetchall()
    assert columns == header
    assert len(actual) == len(rows), f"{section}: {actual}"
    if "order by" not in sql:  # rows in no set order: match each printed row to a returned one
        actual = [next((row for row in actual if all(map(same, printed, row))), ()) for printed in rows]
    for printed, row in zip(rows, actual, strict=True):
        assert len(row) == len(printed) and all(map(same, printed, row)), (printed, row)


def test_every_sample_result_section_is_checked() -> None:
    assert {section for section, _, _, _ in SAMPLE_RESULTS} >= {
        "Thresholds", "At-risk customers", "RFM segments", "Return risk",
        "One row per customer: the risk x value matrix", "Segment history and transitions", "Backtest",
    }  # fmt: skip


def test_month_ends_cover_every_month_and_leap_years() -> None:
    assert [d.isoformat() for d in month_ends("2023-12", "2024-02")] == ["2023-12-31", "2024-01-31", "2024-02-29"]
    with pytest.raises(ValueError, match="after"):
        month_ends("2024-03", "2024-02")
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_ends("2024-13", "2024-12")


def test_the_backfill_inserts_month_ends_before_the_published_date(published: Path) -> None:
    with duckdb.connect(str(published), read_only=True) as con:
        versions = dict(con.sql("select valid_from, count(*) from customer_segments_history group by all").fetchall())
        transitions = con.sql("select distinct as_of_date, dimension from segment_transitions").fetchall()
        current_as_of = con.sql("select distinct as_of_date from customer_segments").fetchall()
    assert sorted(d.isoformat() for d in versions) == ["2024-10-31", "2024-11-30", "2024-12-31", "2025-01-01"]
    assert current_as_of == [(date(2025, 1, 1),)], "the marts are published at the default as-of date"
    first, *later = (versions[d] for d in sorted(versions))
    assert all(0 < count < first for count in later), versions
    assert {d.isoformat() for d, _ in transitions} >= {"2024-11-30", "2024-12-31"}
    assert {d for _, d in transitions} == {"rfm_segment", "lifecycle_stage", "return_tier", "risk_value_quadrant"}


def export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "export", *args], capture_output=True, text=True, check=False)


def test_export_writes_a_segment_to_csv_and_everyone_to_parquet(published: Path, tmp_path: Path) -> None:
    csv_file, parquet_file = tmp_path / "at_risk.csv", tmp_path / "everyone.parquet"
    done = export("--database", str(published), "--segment", "at_risk", "--segment", "hibernating",
                  "--out", str(csv_file))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert export("--database", str(published), "--out", str(parquet_file)).returncode == 0
    with duckdb.connect(str(published), read_only=True) as con:
        expected = con.sql(
            "select count(*) from customer_segments where rfm_segment in ('at_risk', 'hibernating')"
        ).fetchall()[0][0]
        exported = con.sql(f"select rfm_segment, count(*) from read_csv('{csv_file}') group by all").fetchall()
        everyone = con.sql(
            f"select count(*), count(distinct customer_id) from read_parquet('{parquet_file}')"
        ).fetchall()
        customers = con.sql("select count(*) from customer_segments").fetchall()[0][0]
        columns = [row[0] for row in con.sql(f"describe select * from read_csv('{csv_file}')").fetchall()]
    assert {segment for segment, _ in exported} == {"at_risk", "hibernating"}
    assert sum(count for _, count in exported) == expected > 0
    assert everyone == [(customers, customers)]
    assert "email_sha256" in columns and "email" not in columns and "playbook" in columns


def test_export_refuses_an_unknown_segment_and_lists_the_valid_ones(published: Path, tmp_path: Path) -> None:
    done = export("--database", str(published), "--dimension", "return_tier", "--segment", "serial",
                  "--out", str(tmp_path / "x.csv"))  # fmt: skip
    assert done.returncode == 2
    assert "unknown return_tier 'serial'; valid: champion, standard, at_risk, serial_returner" in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_make_build_writes_the_docs_site_offline_with_lineage_to_the_exposures(project: Path) -> None:
    manifest = json.loads((project / "target" / "docs" / "manifest.json").read_text())
    catalog = json.loads((project / "target" / "docs" / "catalog.json").read_text())
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert set(exposures) == {"customer_risk_dashboard", "campaign_segment_export"}
    assert "model.risk_segmentation.customer_segments" in exposures["campaign_segment_export"]["depends_on"]["nodes"]
    for name in ["customer_segments", "customer_segments_history", "segment_backtest"]:
        documented = catalog["nodes"][f"model.risk_segmentation.{name}"]["columns"]
        described = manifest["nodes"][f"model.risk_segmentation.{name}"]["columns"]
        assert set(documented) == set(described), f"every column of {name} is documented"
    # The site of `make build` (docs.html): one file, manifest and catalog inside, nothing fetched.
    site = (project / "docs.html").read_text(encoding="utf-8")
    assert "campaign_segment_export" in site and "source.risk_segmentation.shop.orders" in site
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']https?:""", site)


@pytest.fixture(scope="module")
def month_end(project: Path, published: Path, backtest_database: Path) -> Path:
    """The README's publish of every mart as of a past date (after the checks of the default date's marts): the
    build of the report and its screenshot, docs/report.png."""
    run_shell(project, code_block("README.md", "risk-segmentation publish -- --vars '{as_of_date:"))
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.sql("select distinct as_of_date from customer_segments").fetchall() == [(date(2024, 12, 31),)]
    return published


REPORT_SECTIONS = [
    "rf_grid", "segments", "lifecycle", "recency", "frequency", "return_tiers", "quadrants", "repurchase",
    "transitions",
]  # fmt: skip


def write_report(database: Path, out: Path) -> str:
    command = [str(CLI), "report", "--database", str(database), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{len(REPORT_SECTIONS)} charts -> {out}"
    return out.read_text(encoding="utf-8")


def test_report_is_one_small_self_contained_file(month_end: Path, tmp_path: Path) -> None:
    page = write_report(month_end, tmp_path / "report.html")
    assert re.findall(r'<section id="(\w+)" class="chart">', page) == REPORT_SECTIONS
    assert len(re.findall(r'<p class="reading">[^<]{20,}</p>', page)) == len(REPORT_SECTIONS), "a reading per chart"
    # Nothing to fetch: no script, no stylesheet link, no src or href but fragments (#id) and inline
    # data (the heatmaps' pixels) inside the SVGs.
    assert "<script" not in page and "<link" not in page
    assert re.findall(r'(?:src|href)="(?!#|data:)[^"]*"', page) == []
    assert len(page.encode()) < 1_000_000
    assert write_report(month_end, tmp_path / "again.html") == page, "the same marts give the same bytes"


def test_report_reads_aggregates_only(month_end: Path) -> None:
    """Each query returns one row per cell, segment, bin or tier, never one per customer, and they agree."""
    with duckdb.connect(str(month_end), read_only=True) as con:
        data = report.aggregates(con)
    customers = data["summary"][0]["customers"]
    assert max(len(rows) for rows in data.values()) <= 100 < customers
    for name in ["rf_grid", "segments", "lifecycle", "recency", "frequency"]:
        assert sum(row["customers"] for row in data[name]) == customers, name
    assert sum(row["revenue"] for row in data["segments"]) == data["summary"][0]["revenue"]
    assert {row["threshold_name"] for row in data["thresholds"]} >= {"at_risk_recency_days", "at_risk_max_orders"}
    assert data["transitions"], "the backfilled month ends leave transitions into 2024-12-31"
    assert {row["as_of_date"] for row in data["transitions"]} == {date(2024, 12, 31)}


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's headless Chromium, installed here when absent and possible (root with apt-get)."""
    path = shutil.which("chromium")
    if path is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], capture_output=True, check=False)
        path = shutil.which("chromium")
    if path is None:
        pytest.skip("Chromium is not installed and cannot be installed here (as root: apt-get install chromium)")
    return path


def test_report_renders_in_headless_chromium(month_end: Path, tmp_path: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    write_report(month_end, out)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(out.as_uri())
        page.wait_for_load_state("load")
        sizes = {section: page.locator(f"#{section} figure svg").bounding_box() for section in REPORT_SECTIONS}
        texts = page.locator("svg text").count()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert problems == []
    drawn = {section: box is not None and box["width"] > 200 and box["height"] > 100 for section, box in sizes.items()}
    assert drawn == dict.fromkeys(REPORT_SECTIONS, True), sizes
    assert texts > 100, "the charts' titles, ticks and labels are text"
    assert (tmp_path / "report.png").stat().st_size > 50_000
    if os.environ.get("RISK_SEGMENTATION_REPORT_PNG"):  # docs/testing.md: how docs/report.png is refreshed
        shutil.copy(tmp_path / "report.png", os.environ["RISK_SEGMENTATION_REPORT_PNG"])


def test_report_refuses_a_build_without_every_mart(month_end: Path, tmp_path: Path) -> None:
    partial = tmp_path / "partial.duckdb"
    shutil.copy(month_end, partial)
    with duckdb.connect(str(partial)) as con:
        con.execute("drop table main.segment_thresholds")
    command = [str(CLI), "report", "--database", str(partial), "--out", str(tmp_path / "report.html")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "lacks the marts segment_thresholds" in done.stderr and "make build" in done.stderr
    assert not (tmp_path / "report.html").exists()
