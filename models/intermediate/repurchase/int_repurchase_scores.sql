-- Each learned snapshot applied to a later one (docs/definitions.md §13),
-- one row per pair and customer of the scored snapshot: the rate of the
-- customer's finest cell the training snapshot knows (level 3, else 2, 1,
-- 0), before any shift, and, where known, whether the customer bought in
-- the window after the scored snapshot. The pairs: s1 -> s0 (the published
-- probability), s2 -> s1 (its evaluation), and the pairs each one's shift is
-- measured on: the same pair a year earlier (y1 -> y0, y2 -> y1) and the
-- pair one window earlier (s2 -> s1, s3 -> s2).

with

snapshots as (
    select * from {{ ref('int_repurchase_snapshots') }}
),

cell_rates as (
    select * from {{ ref('int_repurchase_cell_rates') }}
),

pairs as (
    select
        's1' as trained_snapshot,
        's0' as scored_snapshot

    union all

    select
        'y1' as trained_snapshot,
        'y0' as scored_snapshot

    union all

    select
        's2' as trained_snapshot,
        's1' as scored_snapshot

    union all

    select
        'y2' as trained_snapshot,
        'y1' as scored_snapshot

    union all

    select
        's3' as trained_snapshot,
        's2' as scored_snapshot
),

final as (
    select
        pairs.trained_snapshot,
        pairs.scored_snapshot,
        snapshots.customer_id,
        snapshots.recency_days,
        snapshots.frequency,
        snapshots.frequency_bin,
        snapshots.recency_bin,
        snapshots.tenure_bin,
        coalesce(level_3.rate, level_2.rate, level_1.rate, level_0.rate) as raw_probability,
        coalesce(level_3.customers, 0) as cell_customers,
        snapshots.bought_in_window
    from pairs
    inner join snapshots
        on pairs.scored_snapshot = snapshots.snapshot_name
    -- A snapshot that taught nothing (no customer yet) has no level 0: no rate.
    inner join cell_rates as level_0
        on
            pairs.trained_snapshot = level_0.snapshot_name
            and level_0.cell_level = 0
    left join cell_rates as level_1
        on
            pairs.trained_snapshot = level_1.snapshot_name
            and level_1.cell_level = 1
            and snapshots.frequency_bin = level_1.frequency_bin
    left join cell_rates as level_2
        on
            pairs.trained_snapshot = level_2.snapshot_name
            and level_2.cell_level = 2
            and snapshots.frequency_bin = level_2.frequency_bin
            and snapshots.recency_bin = level_2.recency_bin
    left join cell_rates as level_3
        on
            pairs.trained_snapshot = level_3.snapshot_name
            and level_3.cell_level = 3
            and snapshots.frequency_bin = level_3.frequency_bin
            and snapshots.recency_bin = level_3.recency_bin
            and snapshots.tenure_bin = level_3.tenure_bin
)

select * from final
