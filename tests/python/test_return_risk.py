"""The return-risk mart on the shipped sample and on a shop without returns data."""

from __future__ import annotations

from pathlib import Path

import duckdb

# The return-risk mart and everything upstream; tests that read unselected
# models are left out (cautious indirect selection).
BUILD_RETURN_RISK = [
    "build",
    "--select", "+return_risk_segments",
    "--exclude", "resource_type:unit_test",
    "--indirect-selection", "cautious",
]  # fmt: skip
TIERS = ["champion", "standard", "at_risk", "serial_returner"]
FLAGS = [
    "is_new_customer", "is_bracketer", "has_quick_returns", "has_untracked_returns",
    "has_rising_return_value", "has_multi_category_returns",
]  # fmt: skip


def test_the_sample_has_customers_in_every_tier_and_with_every_flag(run_dbt) -> None:
    result = run_dbt(*BUILD_RETURN_RISK)
    assert result.returncode == 0, result.output
    tiers = dict(result.query("select return_tier, count(*) from return_risk_segments group by return_tier"))
    assert all(tiers.get(tier, 0) > 0 for tier in TIERS), tiers
    flags = result.query(
        "select " + ", ".join(f"count(*) filter (where {flag})" for flag in FLAGS) + " from return_risk_segments"
    )[0]
    assert all(count > 0 for count in flags), dict(zip(FLAGS, flags, strict=True))
    # Every signal is used somewhere on the sample: none is stuck at 0.
    signals = result.query(
        """select max(rate_signal), max(recency_signal), max(pattern_signal), max(value_signal),
            max(reason_signal), max(tenure_signal) from return_risk_segments"""
    )[0]
    assert all(value > 0 for value in signals), signals


def test_a_shop_without_returns_data_makes_every_customer_a_champion(
    run_dbt, generated_csv: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "raw"
    folder.mkdir()
    with duckdb.connect() as con:
        for table in ("customers", "orders"):
            con.execute(
                f"copy (select * from read_csv('{generated_csv / f'{table}.csv'}', all_varchar = true)) "
                f"to '{folder / f'{table}.csv'}' (header)"
            )
    result = run_dbt(*BUILD_RETURN_RISK, vars={"raw_data_dir": str(folder)})
    assert result.returncode == 0, result.output
    assert result.scalar("select count(*) from return_risk_segments") > 0
    assert result.query(
        """select distinct return_tier, store_return_rate, total_returns, rate_signal, recency_signal
        from return_risk_segments"""
    ) == [("champion", 0.0, 0, 0.0, 0.0)]
