-- Each learned snapshot applied to a later one (docs/definitions.md §13),
-- one row per pair and cell (frequency bin, recency tenth, tenure fifth) of
-- the scored snapshot: the rate of the finest cell the training snapshot
-- knows (level 3, else 2, 1, 0), before any shift, with how many of the
-- scored snapshot's customers are in the cell and, where known, how many
-- of them bought in the window after it. A customer's rate depends on their
-- cell alone, so the cells carry it: int_repurchase_predictions gives it to
-- the customers of the two applied pairs, int_repurchase_shifts weighs the
-- cells of the reference pairs (DECISIONS.md, Repurchase probability). The
-- pairs: s1 -> s0 (the published probability), s2 -> s1 (its evaluation),
-- and the pairs each one's shift is measured on: the same pair a year
-- earlier (y1 -> y0, y2 -> y1) and the pair one window earlier (s2 -> s1,
-- s3 -> s2).

with

-- The training snapshots and the as-of date's (s0), which has no outcome.
snapshots as (
    select
        snapshot_name,
        frequency_bin,
        recency_bin,
        tenure_bin,
        bought_in_window
    from {{ ref('int_repurchase_snapshots') }}

    union all

    select
        snapshot_name,
        frequency_bin,
        recency_bin,
        tenure_bin,
        cast(null as integer) as bought_in_window
    from {{ ref('int_repurchase_as_of_snapshot') }}
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

-- Repurchasers are null where the snapshot's window is not over.
scored_cells as (
    select
        snapshot_name,
        frequency_bin,
        recency_bin,
        tenure_bin,
        count(*) as scored_customers,
        sum(bought_in_window) as scored_repurchasers
    from snapshots
    group by snapshot_name, frequency_bin, recency_bin, tenure_bin
),

final as (
    select
        pairs.trained_snapshot,
        pairs.scored_snapshot,
        scored_cells.frequency_bin,
        scored_cells.recency_bin,
        scored_cells.tenure_bin,
        coalesce(level_3.rate, level_2.rate, level_1.rate, level_0.rate) as raw_probability,
        coalesce(level_3.customers, 0) as cell_customers,
        scored_cells.scored_customers,
        scored_cells.scored_repurchasers
    from pairs
    inner join scored_cells
        on pairs.scored_snapshot = scored_cells.snapshot_name
    -- A snapshot that taught nothing (no customer yet) has no level 0: no rate.
    inner join cell_rates as level_0
        on
            pairs.trained_snapshot = level_0.snapshot_name
            and level_0.cell_level = 0
    left join cell_rates as level_1
        on
            pairs.trained_snapshot = level_1.snapshot_name
            and level_1.cell_level = 1
            and scored_cells.frequency_bin = level_1.frequency_bin
    left join cell_rates as level_2
        on
            pairs.trained_snapshot = level_2.snapshot_name
            and level_2.cell_level = 2
            and scored_cells.frequency_bin = level_2.frequency_bin
            and scored_cells.recency_bin = level_2.recency_bin
    left join cell_rates as level_3
        on
            pairs.trained_snapshot = level_3.snapshot_name
            and level_3.cell_level = 3
            and scored_cells.frequency_bin = level_3.frequency_bin
            and scored_cells.recency_bin = level_3.recency_bin
            and scored_cells.tenure_bin = level_3.tenure_bin
)

select * from final
