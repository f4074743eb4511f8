-- The learned rates, shifted and rounded to 12 decimals (docs/definitions.md
-- §13; macros/cross_database/rounded_double.sql), one row per
-- customer of the two applied pairs: s1 -> s0, the published probability,
-- and s2 -> s1, its evaluation against what happened after s1. The rate is
-- the customer's cell's (int_repurchase_scores), shifted once per cell.
{%- set shifted_probability -%}
    case
        when scores.raw_probability > 0 and scores.raw_probability < 1
            then 1 / (1 + exp(-(ln(scores.raw_probability / (1 - scores.raw_probability)) + shifts.log_odds_shift)))
        else scores.raw_probability
    end
{%- endset %}

with

-- The snapshots the two applied pairs score: the as-of date's and s1.
snapshots as (
    select
        snapshot_name,
        customer_id,
        recency_days,
        frequency,
        frequency_bin,
        recency_bin,
        tenure_bin,
        cast(null as integer) as bought_in_window
    from {{ ref('int_repurchase_as_of_snapshot') }}

    union all

    select
        snapshot_name,
        customer_id,
        recency_days,
        frequency,
        frequency_bin,
        recency_bin,
        tenure_bin,
        bought_in_window
    from {{ ref('int_repurchase_snapshots') }}
    where snapshot_name = 's1'
),

scores as (
    select * from {{ ref('int_repurchase_scores') }}
),

shifts as (
    select * from {{ ref('int_repurchase_shifts') }}
),

shifted_cells as (
    select
        scores.trained_snapshot,
        scores.scored_snapshot,
        scores.frequency_bin,
        scores.recency_bin,
        scores.tenure_bin,
        scores.cell_customers,
        scores.raw_probability,
        shifts.shift_method,
        {{ rounded_double(shifted_probability) }} as repurchase_probability
    from scores
    inner join shifts
        on
            scores.trained_snapshot = shifts.trained_snapshot
            and scores.scored_snapshot = shifts.scored_snapshot
),

final as (
    select
        shifted_cells.trained_snapshot,
        shifted_cells.scored_snapshot,
        snapshots.customer_id,
        snapshots.recency_days,
        snapshots.frequency,
        snapshots.frequency_bin,
        snapshots.recency_bin,
        snapshots.tenure_bin,
        shifted_cells.cell_customers,
        shifted_cells.raw_probability,
        shifted_cells.shift_method,
        shifted_cells.repurchase_probability,
        snapshots.bought_in_window
    from snapshots
    inner join shifted_cells
        on
            snapshots.snapshot_name = shifted_cells.scored_snapshot
            and snapshots.frequency_bin = shifted_cells.frequency_bin
            and snapshots.recency_bin = shifted_cells.recency_bin
            and snapshots.tenure_bin = shifted_cells.tenure_bin
)

select * from final
