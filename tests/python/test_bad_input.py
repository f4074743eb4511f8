"""Bad input stops the build with a message that names the culprit, before any model runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from conftest import NO_UNIT_TESTS


def write_csv(path: Path, sql: str) -> None:
    """Write a query's rows to a CSV file, or to Parquet when the path says so."""
    options = "(format parquet)" if path.suffix == ".parquet" else "(header)"
    with duckdb.connect() as con:
        con.execute(f"copy ({sql}) to '{path}' {options}")


@pytest.fixture
def minimal_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    write_csv(folder / "customers.csv", "select 'c1' as customer_id")
    write_csv(
        folder / "orders.csv",
        "select 'o1' as order_id, 'c1' as customer_id, '2024-01-01' as ordered_at, 'paid' as status, "
        "'10' as order_total",
    )
    return folder


def test_a_missing_required_column_names_the_table_and_the_column(run_dbt, minimal_folder: Path) -> None:
    write_csv(
        minimal_folder / "orders.csv",
        "select 'o1' as order_id, 'c1' as customer_id, '2024-01-01' as ordered_at, 'paid' as status",
    )
    result = run_dbt("build", *NO_UNIT_TESTS, vars={"raw_data_dir": str(minimal_folder)})
    assert result.returncode != 0
    assert "Raw table 'orders'" in result.output
    assert "lacks required column 'order_total'" in result.output


def test_a_missing_required_table_names_the_table(run_dbt, minimal_folder: Path) -> None:
    (minimal_folder / "customers.csv").unlink()
    result = run_dbt("build", *NO_UNIT_TESTS, vars={"raw_data_dir": str(minimal_folder)})
    assert result.returncode != 0
    assert "Raw table 'customers' not found" in result.output
    assert "customers.csv, customers.parquet or a folder customers/" in result.output


def test_a_table_in_two_formats_is_refused(run_dbt, minimal_folder: Path) -> None:
    write_csv(minimal_folder / "customers.parquet", "select 'c1' as customer_id")
    result = run_dbt("build", *NO_UNIT_TESTS, vars={"raw_data_dir": str(minimal_folder)})
    assert result.returncode != 0
    assert "holds customers.csv and customers.parquet for raw table 'customers'; keep one" in result.output


@pytest.mark.parametrize(
    ("vars", "message"),
    [
        (
            {"customer_age_min": "thirteen"},
            "Invalid value for var 'customer_age_min': got \"thirteen\"; expected an integer from 0 to 150.",
        ),
        ({"customer_age_max": 1000}, "Invalid value for var 'customer_age_max': got 1000; expected an integer"),
        (
            {"customer_age_min": 50, "customer_age_max": 40},
            "Invalid vars 'customer_age_min' (50) and 'customer_age_max' (40): the first must be below the second.",
        ),
        ({"raw_data_dir": 42}, "Invalid value for var 'raw_data_dir': got 42; expected a folder path"),
        (
            {"as_of_date": "2024-02-30"},
            "Invalid value for var 'as_of_date': got \"2024-02-30\"; expected unset, 'today'",
        ),
        (
            {"at_risk_recency_percentile": 1.5},
            "Invalid value for var 'at_risk_recency_percentile': got 1.5; expected a number strictly between 0 and 1",
        ),
        (
            {"rfm_frequency_bins": [2, 4, 3, 6]},
            "Invalid value for var 'rfm_frequency_bins': got [2, 4, 3, 6]; expected unset, or a list of 4 strictly",
        ),
        ({"counted_order_statuses": ["paid", "lost"]}, "Invalid value for var 'counted_order_statuses'"),
        ({"raw_data_dir": "/tmp", "raw_schema": "raw"}, "Invalid vars 'raw_data_dir' and 'raw_schema': set one"),
        (
            {
                "return_score_weights": {
                    "rate": 0.5,
                    "recency": 0.5,
                    "pattern": 0.5,
                    "value": 0,
                    "reason": 0,
                    "tenure": 0,
                }
            },
            'Invalid value for var \'return_score_weights\': got {"pattern": 0.5, "rate": 0.5,',
        ),
        (
            {"return_score_weights": {"rate": 1}},
            "expected a mapping of the weights rate, recency, pattern, value, reason, tenure, each from 0 to 1, "
            "summing to 1.",
        ),
        (
            {"return_recency_half_life_days": 0},
            "Invalid value for var 'return_recency_half_life_days': got 0; "
            "expected a number of days above 0, such as 45.",
        ),
        ({"return_tier_mode": "relativ"}, "Invalid value for var 'return_tier_mode': got \"relativ\"; expected one of"),
    ],
)
def test_a_bad_var_names_the_var_and_the_accepted_form(run_dbt, vars: dict, message: str) -> None:
    result = run_dbt("build", vars=vars)
    assert result.returncode != 0
    assert message in result.output


@pytest.mark.parametrize(
    ("yaml_vars", "message"),
    [
        # An unset shell variable ({raw_data_dir: $DIR}) must not quietly build the sample.
        ("{raw_data_dir: ''}", "Invalid value for var 'raw_data_dir': got \"\", which is empty;"),
        ("{raw_data_dir: '   '}", "Invalid value for var 'raw_data_dir': got \"   \", which is empty;"),
        ("{raw_schema: ''}", "Invalid value for var 'raw_schema': got \"\", which is empty;"),
        ("{as_of_date: ''}", "To leave it unset, remove it or set it to null."),
        # A path is a path: DuckDB would read every folder the pattern matches.
        ("{raw_data_dir: 'data/shop_[ab]*'}", "Invalid value for var 'raw_data_dir': got \"data/shop_[ab]*\""),
        ("{lifecycle_active_days: .inf}", "Invalid value for var 'lifecycle_active_days': got Infinity;"),
        ("{at_risk_recency_percentile: .nan}", "Invalid value for var 'at_risk_recency_percentile': got NaN;"),
        # Models read plain var(): a value of the wrong shape must not break parsing first.
        ("{return_score_weights: 5}", "Invalid value for var 'return_score_weights': got 5;"),
        ("{rfm_recency_bins: 5}", "Invalid value for var 'rfm_recency_bins': got 5;"),
        ("{counted_order_statuses: 7}", "Invalid value for var 'counted_order_statuses': got 7;"),
    ],
)
def test_an_empty_wildcard_or_infinite_var_names_the_var(run_dbt, yaml_vars: str, message: str) -> None:
    """Vars written as YAML on the command line, as a shell user writes them."""
    result = run_dbt("run", "--select", "int_as_of_date", "--vars", yaml_vars)
    assert result.returncode != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_unknown_target_names_the_target(run_dbt) -> None:
    result = run_dbt("build", "--target", "nowhere")
    assert result.returncode != 0
    assert "nowhere" in result.output


def test_a_bad_memory_limit_names_the_variable(run_dbt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISK_SEGMENTATION_DUCKDB_MEMORY_LIMIT", "lots")
    result = run_dbt("build")
    assert result.returncode != 0
    assert "RISK_SEGMENTATION_DUCKDB_MEMORY_LIMIT_is_not_a_size_like_4GB" in result.output
    assert "Traceback" not in result.output


def test_the_memory_limit_reaches_duckdb(run_dbt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISK_SEGMENTATION_DUCKDB_MEMORY_LIMIT", "1GB")
    result = run_dbt("show", "--inline", "select current_setting('memory_limit') as memory_limit")
    assert result.returncode == 0, result.output
    assert "953.6 MiB" in result.output  # DuckDB reports 1GB (10^9 bytes) in MiB
