"""The segment history survives the ways teams really run dbt: `dbt seed`, `dbt run`, `dbt test` on a fresh
database, a re-run at the same as-of date with changed rules (a correction, `today` twice in a day),
and a build of an earlier date (a backtest, a look at the past), which records nothing."""

from __future__ import annotations


def history_dates(result) -> dict[str, int]:
    rows = result.query("select cast(valid_from as varchar), count(*) from customer_segments_history group by all")
    return dict(rows)


def test_run_then_test_rerun_and_an_earlier_date(run_dbt) -> None:
    # A fresh database built by `dbt run`: the history is a model, so segment_transitions finds it.
    seeded = run_dbt("seed")
    assert seeded.returncode == 0, seeded.output[-3000:]
    ran = run_dbt("run")
    assert ran.returncode == 0, ran.output[-3000:]
    tested = run_dbt("test")
    assert tested.returncode == 0, tested.output[-3000:]
    customers = ran.scalar("select count(*) from customer_segments")
    as_of = ran.scalar("select cast(max(as_of_date) as varchar) from customer_segments")
    assert history_dates(ran) == {as_of: customers}

    # The same as-of date again, with another rule: that date's versions are replaced, not doubled.
    rerun = run_dbt("run", vars={"lifecycle_active_days": 30})
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert history_dates(rerun) == {as_of: customers}
    assert (
        rerun.scalar(
            "select count(*) from customer_segments join customer_segments_history using (customer_id)"
            " where customer_segments.lifecycle_stage is distinct from customer_segments_history.lifecycle_stage"
        )
        == 0
    ), "the history holds the re-run's segments"

    # An earlier date records nothing and says so; the published marts are as of that date.
    earlier = run_dbt("run", vars={"as_of_date": "2024-06-30"})
    assert earlier.returncode == 0, earlier.output[-3000:]
    assert f"before the latest recorded as-of date {as_of}; it records nothing" in earlier.output
    assert history_dates(earlier) == {as_of: customers}
    assert earlier.scalar("select cast(max(as_of_date) as varchar) from customer_segments") == "2024-06-30"
