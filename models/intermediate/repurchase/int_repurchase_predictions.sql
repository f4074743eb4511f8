-- The learned rates, shifted and rounded to 12 decimals (docs/definitions.md
-- §13; macros/cross_database/rounded_double.sql), one row per
-- customer of the two applied pairs: s1 -> s0, the published probability,
-- and s2 -> s1, its evaluation against what happened after s1.
{%- set shifted_probability -%}
    case
        when scores.raw_probability > 0 and scores.raw_probability < 1
            then 1 / (1 + exp(-(ln(scores.raw_probability / (1 - scores.raw_probability)) + shifts.log_odds_shift)))
        else scores.raw_probability
    end
{%- endset %}

with

scores as (
    select * from {{ ref('int_repurchase_scores') }}
),

shifts as (
    select * from {{ ref('int_repurchase_shifts') }}
),

final as (
    select
        scores.trained_snapshot,
        scores.scored_snapshot,
        scores.customer_id,
        scores.recency_days,
        scores.frequency,
        scores.frequency_bin,
        scores.recency_bin,
        scores.tenure_bin,
        scores.cell_customers,
        scores.raw_probability,
        shifts.shift_method,
        {{ rounded_double(shifted_probability) }} as repurchase_probability,
        scores.bought_in_window
    from scores
    inner join shifts
        on
            scores.trained_snapshot = shifts.trained_snapshot
            and scores.scored_snapshot = shifts.scored_snapshot
)

select * from final
