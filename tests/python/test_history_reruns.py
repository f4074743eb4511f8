"""The segment history survives the ways teams really run dbt: `dbt seed`, `dbt run`, `dbt test` on a fresh
database, a re-run at the same as-of date with changed rules (a correction, `today` twice in a day),
and a build of an earlier date (a backfill, a backtest), which is inserted into the history: the history is then the
one that building the dates in order records."""

from __future__ import annotations

from pathlib import Path


def history_dates(result) -> dict[str, int]:
    rows = result.query("select cast(valid_from as varchar), count(*) from customer_segments_history group by all")
    return dict(rows)


def test_run_then_test_rerun_and_an_earlier_date(run_dbt, tmp_path: Path) -> None:
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

    # An earlier date is inserted before the recorded one, and the published marts are as of that date.
    earlier = run_dbt("run", vars={"as_of_date": "2024-06-30"})
    assert earlier.returncode == 0, earlier.output[-3000:]
    assert f"before the recorded as-of date {as_of}; it is inserted into the history before it" in earlier.output
    assert set(history_dates(earlier)) == {"2024-06-30", as_of}
    assert earlier.scalar("select cast(max(as_of_date) as varchar) from customer_segments") == "2024-06-30"

    # The same dates built in order, in a database of their own, record the same history.
    in_order = tmp_path / "in_order.duckdb"
    for args, dbt_vars in [(("seed",), None), (("run",), {"as_of_date": "2024-06-30"}),
                           (("run",), {"lifecycle_active_days": 30})]:  # fmt: skip
        done = run_dbt(*args, vars=dbt_vars, database=in_order)
        assert done.returncode == 0, done.output[-3000:]
    everything = "select * from customer_segments_history"
    assert sorted(map(repr, earlier.query(everything))) == sorted(map(repr, done.query(everything)))
    assert history_dates(earlier)["2024-06-30"] > history_dates(earlier)[as_of] > 0
