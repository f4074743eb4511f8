"""The marts agree exactly with an independent pandas recomputation (reference_segmentation.py).

For the shipped sample, a generated shop of 50,000 customers and a few
hand-written edge cases, each at the default as-of date and at an earlier fixed
one: dbt builds the marts in file mode, and every purchasing customer's recency,
frequency, monetary, R/F/M scores, segment, lifecycle stage and at-risk flag,
returned orders, return rate, new-customer flag and return tier, value tier,
churn risk and risk x value quadrant, both at-risk
thresholds, the store return rate and the set of at-risk customers must equal
what the reference computes from the same raw files; so must the average value
of kept orders (exact, rounded half away from zero: money_ratio), with edge
cases whose exact average is a half in the fifth decimal.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import reference_repurchase
from conftest import DbtResult
from reference_segmentation import Result, compute
from risk_segmentation.generator import TABLES, GeneratorConfig, write

PROJECT_DIR = Path(__file__).resolve().parents[2]
# The marts and everything upstream. Cautious indirect selection: tests that also
# read unselected models (order lines, the rejected-rows model) are left out.
BUILD_MARTS = [
    "build",
    "--select", "+path:models/marts",
    "--exclude", "resource_type:unit_test",
    "--indirect-selection", "cautious",
]  # fmt: skip
COMPARED_COLUMNS = [
    "first_order_date", "last_order_date", "recency_days", "frequency", "monetary",
    "r_score", "f_score", "m_score", "rfm_segment", "lifecycle_stage", "is_at_risk",
    "returned_orders", "return_rate", "is_new_customer", "return_tier", "avg_order_value",
    "value_tier", "churn_risk", "risk_value_quadrant",
]  # fmt: skip
SHOWN_MISMATCHES = 5
# Always shown in the side-by-side diff of a mismatching customer.
CONTEXT_COLUMNS = {"recency_days", "frequency", "monetary"}


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample seeds as a file-mode folder."""
    folder = tmp_path_factory.mktemp("sample_raw")
    for table in TABLES:
        shutil.copy(PROJECT_DIR / "seeds" / "sample" / f"raw_{table}.csv", folder / f"{table}.csv")
    return folder


@pytest.fixture(scope="module")
def generated_50k_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated shop of 50,000 customers (about half a million orders), dirt included."""
    folder = tmp_path_factory.mktemp("generated_50k_raw")
    write(GeneratorConfig(customers=50_000, seed=20240630), folder, "csv")
    return folder


# Rules the generated data never puts to the test (its order times never cross
# midnight in any zone; tied versions never differ; no rejected latest version
# has a valid older one), each in a few hand-written rows.
EDGE_CUSTOMERS = [
    ("customer_id", "updated_at"),
    ("c01", "2024-01-01"), ("c02", ""), (" c03 ", "2024-01-01"), ("c03", "2024-02-01"), ("c04", ""),
    ("c05", ""), ("c06", ""), ("c07", ""), ("c08", ""), ("c09", ""), ("c10", ""), ("c11", ""), ("c12", ""),
    ("c13", ""), ("c14", ""),
    ("", "2024-01-01"), ("   ", ""),
]  # fmt: skip
EDGE_ORDERS = [
    ("order_id", "customer_id", "ordered_at", "status", "order_total", "currency", "delivered_at", "updated_at"),
    # zone offsets that cross midnight next to the explicit as-of date 2024-06-30
    ("o01", "c01", "2024-06-30T23:30:00-02:00", "paid", "10", "EUR", "", ""),  # 2024-07-01 in UTC: after it
    ("o02", "c02", "2024-07-01T01:00+02:00", "paid", "20", "EUR", "", ""),  # 2024-06-30 in UTC: counts
    ("o03", "c01", "2024-03-01 10:00", "Placed", "30.5", "EUR", "", ""),
    # the latest counted order is on 2025-01-01 in UTC: default as-of 2025-01-02; a later cancelled one never counts
    ("o04", "c03", "2024-12-31T22:00:00-0300", "delivered", "40", "EUR", "", ""),
    ("o05", "c04", "2025-03-01", "cancelled", "50", "EUR", "", ""),
    ("o05b", "c04", "2024-02-10", "shipped", "5", "EUR", "", ""),
    # a tie on updated_at (one instant written two ways): the higher fingerprint wins (10.00)
    ("o06", "c05", "2024-05-01", "completed", "10.00", "EUR", "", "2024-05-01 00:00:00"),
    ("o06", "c05", "2024-05-01", "completed", "990.00", "EUR", "", "2024-05-01T02:00:00+02:00"),
    # the latest version is rejected: the order is gone, the older valid version does not come back
    ("o07", "c06", "2024-01-15", "paid", "50.00", "EUR", "", "2024-01-01"),
    ("o07", "c06", "2024-01-15", "paid", "-5", "EUR", "", "2024-02-01"),
    ("o07b", "c06", "2024-01-20", "paid", "7", "EUR", "", "2024-01-01"),
    ("o07b", "c06", "2024-01-20", "on hold?", "7", "EUR", "", "2024-03-01"),
    ("o07c", "c06", "2023-11-11", "returned", "8", "EUR", "", ""),
    # versions without a parseable updated_at lose to a dated one (30)
    ("o08", "c07", "2023-06-01", "paid", "20", "EUR", "", ""),
    ("o08", "c07", "2023-06-01", "paid", "30", "EUR", "", "2023-01-01"),
    ("o08", "c07", "2023-06-01", "paid", "40", "EUR", "", "not a date"),
    ("o08", "c07", "2023-06-01", "paid", "60", "EUR", "", "2023-02-30"),
    # padded keys, status spellings, amounts beyond four decimals, date formats, fractions beyond microseconds
    ("o09", "c08", "2024-02-29", "paid", "99", "EUR", "", ""),
    (" o09 ", " c08 ", "2024/02/29", "Partially - Returned", "12.34567", "EUR", "", "2024-01-01"),
    ("o10", "c08", "2024-06-30 23:59:59.9999999", "PAYMENT received", ".5", "EUR", "", ""),
    ("o11", "c09", "2023-02-29", "paid", "10", "EUR", "", ""),  # no such day: rejected
    ("o12", "c09", "2022-12-31T23:59Z", " Complete ", "+3", "EUR", "", ""),
    ("o13", "c10", "2024-04-01", "paid", "-0.00004", "EUR", "", ""),  # 0.0000 as decimal(18, 4): not negative
    ("o14", "x99", "2024-06-15", "paid", "15", "EUR", "", ""),  # a customer the export does not know
    ("o15", "c11", "2024-01-01", "failed", "15", "EUR", "", ""),
    ("o16", "c12", "2024-06-01", "paid", "1,5", "EUR", "", ""),
    ("o17", "c12", "2023-06-01", "paid", "", "EUR", "", ""),
    ("o18", "c02", "2023-06-01 12:00:00", "paid", "21", "EUR", "", ""),
    ("o19", "c02", "2022-06-01", "paid", "22", "EUR", "", ""),
    ("o20", "c03", "2023-09-09", "paid", "23", "EUR", "", ""),
    ("", "c03", "2023-09-10", "paid", "23", "EUR", "", ""),
    # averages whose exact value is a half in the fifth decimal round half away from zero:
    # eight kept orders of 162.67 in all (20.33375: 20.3338, not 20.3337 through a double) ...
    *((f"o2{n}", "c13", f"2024-0{1 + n % 5}-1{n}", "delivered", "20.36" if n == 7 else "20.33", "EUR", "", "")
      for n in range(8)),
    # ... and 0.0003 / 2 (0.00015: 0.0002), beside an order returned in full (r16)
    ("o30", "c14", "2024-02-01", "paid", "0.0001", "EUR", "", ""),
    ("o31", "c14", "2024-03-01", "paid", "0.0002", "EUR", "", ""),
    ("o32", "c14", "2024-04-01", "paid", "99", "EUR", "", ""),
]  # fmt: skip
EDGE_RETURNS = [
    ("return_id", "order_id", "line_number", "requested_at", "refund_amount", "reason", "tracking_confirmed", "status"),
    # zone offsets next to the as-of date 2024-06-30: the first is on it in UTC, the second after it
    ("r01", "o02", "", "2024-07-01T01:30+02:00", "", "", "", "refunded"),
    ("r02", "o03", "1", "2024-06-30T23:30:00-02:00", "5", "", "", "received"),
    # a later version further along its life wins; a rejected winner never counts
    ("r03", "o18", "", "2023-06-10", "", "", "", "requested"),
    ("r03", "o18", "", "2023-06-10", "21", "", "", "Refund issued"),
    ("r04", "o19", "", "2022-06-05", "", "", "", "Denied"),
    ("r04", "o19", "", "2022-06-04", "22", "", "", "refunded"),
    # two returns of one order return it once; a blank status is requested
    ("r05", "o09", "1", "2024-03-05", "1", "", "", ""),
    ("r06", "o09", "2", "2024-03-06", "1", "", "", "approved"),
    # rejected rows: refund above the order total, unknown order, rejected order,
    # half a line, negative refund, unparseable request, unknown status
    ("r07", "o20", "", "2023-09-15", "23.00001", "", "", "refunded"),
    ("r08", "o99", "", "2023-09-15", "", "", "", "refunded"),
    ("r09", "o11", "", "2023-09-15", "", "", "", "refunded"),
    ("r10", "o12", "1.5", "2023-01-05", "", "", "", "refunded"),
    ("r11", "o12", "", "2023-01-05", "-1", "", "", "refunded"),
    ("r12", "o12", "", "2023-02-30", "", "", "", "refunded"),
    ("r13", "o12", "", "2023-01-05", "", "", "", "lost in the post"),
    # a return of an order that does not count (cancelled); a return of a counted order by c06
    ("r14", "o05", "", "2025-03-02", "", "", "", "refunded"),
    ("r15", "o07c", "1.0", "2023-11-20", "8", "", "", "received"),
    ("", "o07c", "", "2023-11-20", "", "", "", "refunded"),
    ("r16", "o32", "", "2024-04-05", "99", "", "", "refunded"),
]  # fmt: skip


@pytest.fixture(scope="module")
def edge_cases_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-written edge cases above, as customers.csv, orders.csv and returns.csv."""
    folder = tmp_path_factory.mktemp("edge_cases_raw")
    for table, rows in (("customers", EDGE_CUSTOMERS), ("orders", EDGE_ORDERS), ("returns", EDGE_RETURNS)):
        with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as file:
            csv.writer(file).writerows(rows)
    return folder


def read_mart(result: DbtResult, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(result.database), read_only=True) as con:
        return con.sql(sql).df()


def expected_rows(reference: Result) -> pd.DataFrame:
    """The reference's purchasers with the mart's column types (dates as date, money as Decimal)."""
    rows = reference.purchasers.copy()
    for column in ("first_order_date", "last_order_date"):
        rows[column] = [stamp.date() for stamp in rows[column]]
    for column in ("recency_days", "r_score", "f_score", "m_score"):
        rows[column] = rows[column].astype("int64")
    rows["is_at_risk"] = rows["is_at_risk"].astype(bool)
    rows["returned_orders"] = rows["returned_orders"].astype("int64")
    rows["is_new_customer"] = rows["is_new_customer"].astype(bool)
    rows["avg_order_value"] = [money_text(value) for value in rows["avg_order_value"]]
    return rows[COMPARED_COLUMNS]


def actual_rows(result: DbtResult) -> pd.DataFrame:
    """rfm_segments joined to return_risk_segments with the same types; monetary read as text (no float)."""
    rows = read_mart(
        result,
        """select rfm.customer_id, rfm.first_order_date, rfm.last_order_date, rfm.recency_days, rfm.frequency,
            cast(rfm.monetary as varchar) as monetary, cast(returns.avg_order_value as varchar) as avg_order_value,
            rfm.r_score, rfm.f_score, rfm.m_score, rfm.rfm_segment,
            rfm.lifecycle_stage, rfm.is_at_risk, rfm.as_of_date, returns.returned_orders, returns.return_rate,
            returns.is_new_customer, returns.return_tier, returns.counted_orders, returns.store_return_rate,
            segments.value_tier, segments.churn_risk, segments.risk_value_quadrant
        from rfm_segments as rfm
        full outer join return_risk_segments as returns on rfm.customer_id = returns.customer_id
        left join customer_segments as segments on rfm.customer_id = segments.customer_id""",
    ).set_index("customer_id")
    assert rows.index.is_unique, "rfm_segments and return_risk_segments have one row per customer"
    assert rows["frequency"].notna().all() and rows["counted_orders"].notna().all(), (
        "rfm_segments and return_risk_segments hold the same customers"
    )
    assert (rows["frequency"] == rows["counted_orders"]).all(), "counted_orders equals frequency"
    for column in ("first_order_date", "last_order_date", "as_of_date"):
        rows[column] = [stamp.date() for stamp in pd.to_datetime(rows[column])]
    for column in ("recency_days", "frequency", "r_score", "f_score", "m_score", "returned_orders"):
        rows[column] = rows[column].astype("int64")
    rows["monetary"] = [Decimal(text) for text in rows["monetary"]]
    rows["avg_order_value"] = [money_text(None if pd.isna(text) else Decimal(text)) for text in rows["avg_order_value"]]
    for column in ("is_at_risk", "is_new_customer"):
        rows[column] = rows[column].astype(bool)
    return rows


def money_text(value: Decimal | None) -> str:
    """A nullable decimal(18, 4) as its text, null as 'null': nulls compare equal, values exactly."""
    return "null" if value is None or pd.isna(value) else f"{value:.4f}"


def describe_mismatches(expected: pd.DataFrame, actual: pd.DataFrame) -> list[str]:
    """Every disagreement between the reference and the mart, with the first few customers of each kind."""
    problems = []
    missing = expected.index.difference(actual.index)
    extra = actual.index.difference(expected.index)
    if len(missing):
        problems.append(f"{len(missing)} purchasers missing from rfm_segments, e.g. {list(missing[:SHOWN_MISMATCHES])}")
    if len(extra):
        problems.append(
            f"{len(extra)} customers in rfm_segments the reference does not have, e.g. {list(extra[:SHOWN_MISMATCHES])}"
        )
    common = expected.index.intersection(actual.index)
    left, right = expected.loc[common, COMPARED_COLUMNS], actual.loc[common, COMPARED_COLUMNS]
    differs = pd.DataFrame({column: left[column] != right[column] for column in COMPARED_COLUMNS})
    for column in COMPARED_COLUMNS:
        customers = differs.index[differs[column]]
        if len(customers):
            examples = "; ".join(
                f"{customer}: expected {plain(left.at[customer, column])!r}, mart {plain(right.at[customer, column])!r}"
                for customer in customers[:SHOWN_MISMATCHES]
            )
            problems.append(f"{column}: {len(customers)} customers differ, e.g. {examples}")
    bad_rows = differs.index[differs.any(axis=1)][:SHOWN_MISMATCHES]
    if len(bad_rows):
        shown = [c for c in COMPARED_COLUMNS if c in CONTEXT_COLUMNS or differs.loc[bad_rows, c].any()]
        side_by_side = pd.concat(
            {(c, side): frame.loc[bad_rows, c] for c in shown for side, frame in (("expected", left), ("mart", right))},
            axis=1,
        )
        with pd.option_context("display.width", 250, "display.max_columns", None):
            problems.append(f"first mismatching customers side by side:\n{side_by_side}")
    return problems


def plain(value: object) -> object:
    """A numpy scalar as the Python value it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


CASES = [
    pytest.param("sample_dir", None, id="sample-default_as_of"),
    pytest.param("sample_dir", "2024-06-30", id="sample-as_of_2024-06-30"),
    pytest.param("generated_50k_dir", None, id="generated_50k-default_as_of"),
    pytest.param("generated_50k_dir", "2024-06-30", id="generated_50k-as_of_2024-06-30"),
    pytest.param("edge_cases_dir", None, id="edge_cases-default_as_of"),
    pytest.param("edge_cases_dir", "2024-06-30", id="edge_cases-as_of_2024-06-30"),
]


@pytest.mark.parametrize(("raw_fixture", "as_of_date"), CASES)
def test_marts_equal_the_independent_recomputation(
    request: pytest.FixtureRequest, run_dbt, raw_fixture: str, as_of_date: str | None
) -> None:
    raw_dir: Path = request.getfixturevalue(raw_fixture)
    dbt_vars: dict[str, object] = {"raw_data_dir": str(raw_dir)}
    if raw_fixture == "edge_cases_dir":  # a handful of rows, many of them rejected on purpose
        dbt_vars["max_rejected_share"] = 1
    if as_of_date is not None:  # an unset var must stay unset, not become the text 'None'
        dbt_vars["as_of_date"] = as_of_date

    result = run_dbt(*BUILD_MARTS, vars=dbt_vars)
    assert result.returncode == 0, result.output
    reference = compute(raw_dir, dbt_vars)
    if as_of_date is not None:
        assert reference.as_of_date == date.fromisoformat(as_of_date)

    problems: list[str] = []

    thresholds = read_mart(
        result,
        """select threshold_name, threshold_value, population, as_of_date from segment_thresholds
        where threshold_name in ('at_risk_recency_days', 'at_risk_max_orders')""",
    ).set_index("threshold_name")
    expected_thresholds = {
        "at_risk_recency_days": reference.recency_threshold,
        "at_risk_max_orders": reference.frequency_threshold,
    }
    for name, expected in expected_thresholds.items():
        actual = float(thresholds.at[name, "threshold_value"])
        if actual != expected:
            problems.append(f"threshold {name}: expected {expected!r}, segment_thresholds has {actual!r}")
        if int(thresholds.at[name, "population"]) != reference.population:
            problems.append(
                f"threshold {name}: population {thresholds.at[name, 'population']} != {reference.population}"
            )
        if pd.Timestamp(thresholds.at[name, "as_of_date"]).date() != reference.as_of_date:
            problems.append(
                f"threshold {name}: as_of_date {thresholds.at[name, 'as_of_date']} != {reference.as_of_date}"
            )

    store_rates = read_mart(
        result,
        """select 'segment_thresholds' as mart, threshold_value as store_return_rate from segment_thresholds
            where threshold_name = 'store_return_rate'
        union all
        select distinct 'return_risk_segments', store_return_rate from return_risk_segments""",
    )
    for mart, actual in zip(store_rates["mart"], store_rates["store_return_rate"], strict=True):
        if actual != reference.store_return_rate:
            problems.append(f"store_return_rate: expected {reference.store_return_rate!r}, {mart} has {actual!r}")

    expected = expected_rows(reference)
    actual = actual_rows(result)
    wrong_as_of = actual.index[actual["as_of_date"] != reference.as_of_date]
    if len(wrong_as_of):
        problems.append(f"rfm_segments.as_of_date differs from {reference.as_of_date} for {len(wrong_as_of)} customers")
    problems += describe_mismatches(expected, actual)

    at_risk_mart = set(read_mart(result, "select customer_id from at_risk_customers")["customer_id"])
    for label, ids in (
        ("in at_risk_customers but not at risk", at_risk_mart - reference.at_risk_ids),
        ("at risk but missing from at_risk_customers", reference.at_risk_ids - at_risk_mart),
    ):
        if ids:
            problems.append(f"{len(ids)} customers {label}, e.g. {sorted(ids)[:SHOWN_MISMATCHES]}")

    problems += repurchase_mismatches(result, reference)
    if raw_fixture != "edge_cases_dir":
        # The generator's churners and loyal buyers give the method something real to learn.
        auc = dict(read_mart(result, "select predictor, auc from repurchase_model_evaluation").itertuples(index=False))
        if not auc["repurchase_probability"] > auc["at_risk_flag"]:
            problems.append(f"the probability's AUC does not beat the at-risk flag's: {auc}")

    summary = (
        f"as_of {reference.as_of_date}, {reference.population} purchasers, thresholds "
        f"{reference.recency_threshold} days / {reference.frequency_threshold} orders, "
        f"{len(reference.at_risk_ids)} at risk, store return rate {reference.store_return_rate}"
    )
    assert not problems, f"{summary}\n" + "\n".join(problems)
    assert reference.population > 0 and reference.at_risk_ids, summary


# The probability and the evaluation's figures are rounded to 12 decimals (rounded_double); a double
# that SQL and pandas compute a last bit apart can round to neighbouring 12th decimals.
TOLERANCE = 1.5e-12


def repurchase_mismatches(result: DbtResult, reference: Result) -> list[str]:
    """customer_segments.repurchase_probability, repurchase_model_evaluation and repurchase_calibration
    against reference_repurchase.py, to one unit of the 12th decimal."""
    expected = reference_repurchase.compute(
        reference.counted[["customer_id", "order_date", "order_total_units"]], reference.as_of_date
    )
    problems: list[str] = []
    actual = read_mart(
        result,
        "select customer_id, repurchase_probability from customer_segments where repurchase_probability is not null",
    ).set_index("customer_id")["repurchase_probability"]
    if set(actual.index) != set(expected.probability.index):
        problems.append(
            f"repurchase_probability given for {len(actual)} customers, expected {len(expected.probability)}"
        )
    else:
        both = pd.DataFrame({"actual": actual, "expected": expected.probability})
        wrong = both[~np.isclose(both["actual"], both["expected"], rtol=0, atol=TOLERANCE)]
        if len(wrong):
            problems.append(
                f"repurchase_probability differs for {len(wrong)} customers, e.g. {wrong.head(3).to_dict()}"
            )
    evaluation = read_mart(result, "select predictor, auc, brier_score from repurchase_model_evaluation")
    for predictor, auc, brier in evaluation.itertuples(index=False):
        want = expected.evaluation.get(predictor, (None, None))
        for name, got, wanted in (("auc", auc, want[0]), ("brier_score", brier, want[1])):
            if (wanted is None) != pd.isna(got) or (
                wanted is not None and not np.isclose(got, wanted, rtol=0, atol=TOLERANCE)
            ):
                problems.append(f"repurchase_model_evaluation {predictor}.{name}: expected {wanted!r}, got {got!r}")
    calibration = read_mart(
        result, "select decile, customers, mean_probability, observed_rate from repurchase_calibration order by decile"
    ).set_index("decile")
    if len(calibration) != len(expected.calibration):
        problems.append(f"repurchase_calibration has {len(calibration)} deciles, expected {len(expected.calibration)}")
    elif len(calibration) and not (
        (calibration["customers"].to_numpy() == expected.calibration["customers"].to_numpy()).all()
        and np.allclose(
            calibration[["mean_probability", "observed_rate"]],
            expected.calibration[["mean_probability", "observed_rate"]],
            rtol=0,
            atol=TOLERANCE,
        )
    ):
        problems.append(f"repurchase_calibration differs:\n{calibration}\nexpected\n{expected.calibration}")
    return problems
