"""The sample builds, every data and unit test passing, with every var tuned away from its default.

Unit tests pin the vars their expectations assume (overrides: vars: in models/**/_*unit_tests.yml),
so a user's --vars must never fail them (issue 22).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml

from conftest import PROJECT_DIR

# Not tuned: raw_data_dir and raw_schema switch the data source away from the sample, and
# raw_csv_delimiter and raw_load_column are read only from raw files and warehouse tables (test_staging_end_to_end.py
# builds from files and from a warehouse schema).
NOT_TUNED = {"raw_data_dir", "raw_schema", "raw_csv_delimiter", "raw_load_column"}

# Two var sets, each a full build of the sample: fixed thresholds replace the percentiles and
# each tier mode reads only its own limits, so those vars are tuned in separate builds.
TUNED_VARS = {
    "percentiles_absolute_tiers": {
        "customer_age_min": 18,
        "customer_age_max": 95,
        "max_rejected_share": 0.1,
        "as_of_date": "2024-06-30",
        "counted_order_statuses": ["paid", "shipped", "delivered", "completed", "returned", "partially_returned"],
        "at_risk_recency_percentile": 0.8,
        "at_risk_frequency_percentile": 0.3,
        "at_risk_percentile_method": "disc",
        "rfm_recency_bins": [30, 90, 180, 365],
        "rfm_frequency_bins": [2, 3, 4, 6],
        "rfm_monetary_bins": [50, 100, 250, 500],
        "lifecycle_active_days": 60,
        "lifecycle_lapsed_days": 150,
        "return_tier_mode": "absolute",
        "return_tier_rates": [0.1, 0.25, 0.5],
        "return_min_orders": 2,
        "bracketing_min_variants": 2,
        "bracketing_min_orders": 3,
        "quick_return_hours": 24,
        "escalation_min_returns": 4,
        "return_categories_min": 2,
        "return_recency_half_life_days": 30,
        "return_recency_full_weight": 2,
        "return_tenure_full_orders": 8,
        "value_tier_percentile": 0.6,
        "value_tier_percentile_method": "disc",
        "backtest_window_days": 60,
        "repurchase_prior_strength": 5,
        "repurchase_year_ago_min_customers": 100,
        "return_score_weights": {
            "rate": 0.3,
            "recency": 0.25,
            "pattern": 0.2,
            "value": 0.1,
            "reason": 0.1,
            "tenure": 0.05,
        },
    },
    "fixed_thresholds_relative_tiers": {
        "as_of_date": "2023-12-31",
        "at_risk_recency_days": 305,
        "at_risk_max_orders": 4,
        "return_tier_multipliers": [0.75, 1.5, 3],
    },
}


def test_every_var_is_tuned_away_from_its_default() -> None:
    defaults = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    tuned = {name for var_set in TUNED_VARS.values() for name in var_set}
    assert tuned == defaults.keys() - NOT_TUNED
    for var_set in TUNED_VARS.values():
        for name, value in var_set.items():
            assert value != defaults[name], name


def test_a_publish_with_every_var_of_the_first_set_tuned_publishes(tmp_path) -> None:
    """The README's main job with tuned rules: `risk-segmentation publish -- --vars ...` runs every
    data and unit test, then publishes."""
    database = tmp_path / "published.duckdb"
    command = [
        str(Path(sys.executable).parent / "risk-segmentation"), "publish", "--database", str(database), "--no-parquet",
        "--", "--vars", yaml.safe_dump(TUNED_VARS["percentiles_absolute_tiers"], default_flow_style=True),
        "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
    ]  # fmt: skip
    env = {key: value for key, value in os.environ.items() if key != "DBT_PROFILES_DIR"}
    done = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.sql("select distinct cast(as_of_date as varchar) from customer_segments").fetchall() == [
            ("2024-06-30",)
        ]


def test_the_sample_builds_with_the_second_set_tuned(run_dbt) -> None:
    result = run_dbt("build", vars=TUNED_VARS["fixed_thresholds_relative_tiers"])
    assert result.returncode == 0, result.output[-5000:]


def test_the_readme_backtest_builds(run_dbt) -> None:
    # docs/operations.md "Backtest: does the at-risk rule work?".
    result = run_dbt(
        "build", "--select", "+segment_backtest", "--indirect-selection", "cautious", vars={"as_of_date": "2024-06-30"}
    )
    assert result.returncode == 0, result.output[-5000:]
    assert result.scalar("select count(*) from segment_backtest where is_window_complete") > 0
