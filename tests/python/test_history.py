"""Segment history: building the sample as of three month ends records a snapshot history and transitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from risk_segmentation.cli import month_ends

PROJECT_DIR = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "risk-segmentation"


def test_month_ends_cover_every_month_and_leap_years() -> None:
    assert [d.isoformat() for d in month_ends("2023-12", "2024-02")] == ["2023-12-31", "2024-01-31", "2024-02-29"]
    with pytest.raises(ValueError, match="after"):
        month_ends("2024-03", "2024-02")
    with pytest.raises(ValueError, match="YYYY-MM"):
        month_ends("2024-13", "2024-12")


def test_three_month_ends_record_a_history_and_transitions(tmp_path: Path) -> None:
    database = tmp_path / "history.duckdb"
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR / "profiles"),
        "RISK_SEGMENTATION_DUCKDB_PATH": str(database),
        "DBT_TARGET": "dev",
    }
    completed = subprocess.run(
        [str(CLI), "history", "--from", "2024-10", "--to", "2024-12", "--",
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    with duckdb.connect(str(database), read_only=True) as con:
        versions = dict(
            con.sql("select dbt_valid_from, count(*) from customer_segments_history group by all").fetchall()
        )
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
