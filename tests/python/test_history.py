"""Segment history, export, docs and the report, on one build: the sample built as of three month
ends with ``risk-segmentation history`` records a segment history and transitions;
``risk-segmentation export`` writes segments of that build to CSV and Parquet and refuses unknown
names; ``dbt docs generate`` documents it, exposures included, without a network;
``risk-segmentation report`` draws it in one self-contained HTML file, which headless Chromium
renders without an error."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from risk_segmentation import report
from risk_segmentation.cli import month_ends

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "risk-segmentation"


def dbt_env(database: Path) -> dict[str, str]:
    """The environment of a dbt or CLI run building into this DuckDB file."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
        "DBT_TARGET": "dev",
    }


def test_month_ends_cover_every_month_and_leap_years() -> None:
    assert [d.isoformat() for d in month_ends("2023-12", "2024-02")] == ["2023-12-31", "2024-01-31", "2024-02-29"]
    with pytest.raises(ValueError, match="after"):
        month_ends("2024-03", "2024-02")
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_ends("2024-13", "2024-12")


@pytest.fixture(scope="module")
def history_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample built as of 2024-10-31, 2024-11-30 and 2024-12-31 by the history command."""
    tmp_path = tmp_path_factory.mktemp("history")
    database = tmp_path / "history.duckdb"
    completed = subprocess.run(
        [str(CLI), "history", "--from", "2024-10", "--to", "2024-12", "--",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_DIR, env=dbt_env(database), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    return database


def test_three_month_ends_record_a_history_and_transitions(history_database: Path) -> None:
    database = history_database
    with duckdb.connect(str(database), read_only=True) as con:
        versions = dict(con.sql("select valid_from, count(*) from customer_segments_history group by all").fetchall())
        transitions = con.sql(
            "select as_of_date, dimension, count(*) from segment_transitions group by all order by all"
        ).fetchall()
        current_as_of = con.sql("select distinct as_of_date from customer_segments").fetchall()
    dates = sorted(d.isoformat() for d in versions)
    assert dates == ["2024-10-31", "2024-11-30", "2024-12-31"], versions
    assert current_as_of == [(month_ends("2024-12", "2024-12")[0],)]
    # Every customer has a first version on the first date; later versions are changes only.
    first, *later = (versions[d] for d in sorted(versions))
    assert all(0 < count < first for count in later), versions
    moved_dates = {row[0].isoformat() for row in transitions}
    moved_dimensions = {row[1] for row in transitions}
    assert moved_dates == {"2024-11-30", "2024-12-31"}, transitions
    assert moved_dimensions == {"rfm_segment", "lifecycle_stage", "return_tier", "risk_value_quadrant"}, transitions


def export(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLI), "export", *args], capture_output=True, text=True, check=False)


def test_export_writes_a_segment_to_csv_and_everyone_to_parquet(history_database: Path, tmp_path: Path) -> None:
    csv_file, parquet_file = tmp_path / "at_risk.csv", tmp_path / "everyone.parquet"
    done = export("--database", str(history_database), "--segment", "at_risk", "--segment", "hibernating",
                  "--out", str(csv_file))  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert export("--database", str(history_database), "--out", str(parquet_file)).returncode == 0
    with duckdb.connect(str(history_database), read_only=True) as con:
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


def test_export_refuses_an_unknown_segment_and_lists_the_valid_ones(history_database: Path, tmp_path: Path) -> None:
    done = export("--database", str(history_database), "--dimension", "return_tier", "--segment", "serial",
                  "--out", str(tmp_path / "x.csv"))  # fmt: skip
    assert done.returncode == 2
    assert "unknown return_tier 'serial'; valid: champion, standard, at_risk, serial_returner" in done.stderr
    assert not (tmp_path / "x.csv").exists()


def test_docs_generate_offline_with_lineage_to_the_exposures(history_database: Path, tmp_path: Path) -> None:
    dbt = Path(sys.executable).parent / "dbt"
    target = tmp_path / "target"
    completed = subprocess.run(
        [str(dbt), "docs", "generate", "--static", "--target-path", str(target), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_DIR, env=dbt_env(history_database), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-5000:]
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    exposures = {node["name"]: node for node in manifest["exposures"].values()}
    assert set(exposures) == {"customer_risk_dashboard", "campaign_segment_export"}
    assert "model.risk_segmentation.customer_segments" in exposures["campaign_segment_export"]["depends_on"]["nodes"]
    documented = catalog["nodes"]["model.risk_segmentation.customer_segments"]["columns"]
    described = manifest["nodes"]["model.risk_segmentation.customer_segments"]["columns"]
    assert set(documented) == set(described), "every column of customer_segments is documented"
    # The site of `make build` (docs.html): one file, manifest and catalog inside, nothing fetched.
    site = (target / "static_index.html").read_text(encoding="utf-8")
    assert "campaign_segment_export" in site and "source.risk_segmentation.shop.orders" in site
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']https?:""", site)


REPORT_SECTIONS = [
    "rf_grid", "segments", "lifecycle", "recency", "frequency", "return_tiers", "quadrants", "repurchase",
    "transitions",
]  # fmt: skip


@pytest.fixture(scope="module")
def report_database(history_database: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the history build with every mart, as of its last month end (history builds only what the
    snapshot needs)."""
    tmp_path = tmp_path_factory.mktemp("report")
    database = tmp_path / history_database.name  # the same name: staging views name their database
    shutil.copy(history_database, database)
    completed = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", "path:models/marts",
         "--vars", "{as_of_date: '2024-12-31'}",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_DIR, env=dbt_env(database), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-5000:]
    return database


def write_report(database: Path, out: Path) -> str:
    command = [str(CLI), "report", "--database", str(database), "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{len(REPORT_SECTIONS)} charts -> {out}"
    return out.read_text(encoding="utf-8")


def test_report_is_one_small_self_contained_file(report_database: Path, tmp_path: Path) -> None:
    page = write_report(report_database, tmp_path / "report.html")
    assert re.findall(r'<section id="(\w+)" class="chart">', page) == REPORT_SECTIONS
    assert len(re.findall(r'<p class="reading">[^<]{20,}</p>', page)) == len(REPORT_SECTIONS), "a reading per chart"
    # Nothing to fetch: no script, no stylesheet link, no src or href but fragments (#id) and inline
    # data (the heatmaps' pixels) inside the SVGs.
    assert "<script" not in page and "<link" not in page
    assert re.findall(r'(?:src|href)="(?!#|data:)[^"]*"', page) == []
    assert len(page.encode()) < 1_000_000
    assert write_report(report_database, tmp_path / "again.html") == page, "the same marts give the same bytes"


def test_report_reads_aggregates_only(report_database: Path) -> None:
    """Each query returns one row per cell, segment, bin or tier, never one per customer, and they agree."""
    with duckdb.connect(str(report_database), read_only=True) as con:
        data = report.aggregates(con)
    customers = data["summary"][0]["customers"]
    assert max(len(rows) for rows in data.values()) <= 100 < customers
    for name in ["rf_grid", "segments", "lifecycle", "recency", "frequency"]:
        assert sum(row["customers"] for row in data[name]) == customers, name
    assert sum(row["revenue"] for row in data["segments"]) == data["summary"][0]["revenue"]
    assert {row["threshold_name"] for row in data["thresholds"]} >= {"at_risk_recency_days", "at_risk_max_orders"}
    assert data["transitions"], "three month ends leave transitions into the last one"


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


def test_report_renders_in_headless_chromium(report_database: Path, tmp_path: Path, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report.html"
    write_report(report_database, out)
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


def test_report_refuses_a_build_without_every_mart(history_database: Path, tmp_path: Path) -> None:
    command = [str(CLI), "report", "--database", str(history_database), "--out", str(tmp_path / "report.html")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "lacks the marts segment_thresholds" in done.stderr and "make build" in done.stderr
    assert not (tmp_path / "report.html").exists()
