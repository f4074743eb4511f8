-- How well the repurchase probability would have done, out of time
-- (docs/definitions.md §13): the method trained one window earlier (s2) and
-- applied at s1, the training anchor less one window, against who really
-- bought in the window after s1. One row per predictor: the probability
-- (int_repurchase_predictions) and three baselines
-- (int_repurchase_baseline_predictions). AUC (ties count half) and Brier
-- score as §13 defines them; null, with the reason, where the history does
-- not reach back two windows or the window after s1 holds no buyer or no
-- non-buyer. repurchase_model_evaluation publishes it with the as-of date.
--
-- Incremental: evaluated again only when evaluation_key changes, the
-- training (int_repurchase_training) or the rules (every var, the
-- vocabularies and the segment map): repurchase_evaluation_key, so once a
-- month. The four predictors' rows are replaced together (unique key
-- predictor).
{{ config(
    materialized='incremental' if target.type in ['duckdb', 'postgres'] else 'table',
    unique_key='predictor',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

-- This build's evaluation, unless the rows stored were computed under the same key.
to_evaluate as (
    select
        anchor_date,
        {{ repurchase_evaluation_key() }} as evaluation_key
    from {{ ref('int_repurchase_training') }}
    {%- if is_incremental() %}
    where {{ repurchase_evaluation_key() }} not in (select evaluation_key from {{ this }})
    {%- endif %}
),

-- Each predictor's probability and ranking score per customer of s1.
scored as (
    select
        'repurchase_probability' as predictor,
        customer_id,
        repurchase_probability as probability,
        repurchase_probability as score,
        bought_in_window
    from {{ ref('int_repurchase_predictions') }}
    where scored_snapshot = 's1' and exists (select 1 from to_evaluate)

    union all

    select
        predictor,
        customer_id,
        probability,
        score,
        bought_in_window
    from {{ ref('int_repurchase_baseline_predictions') }}
    where exists (select 1 from to_evaluate)
),

-- Each predictor's customers grouped by score, rounded to 12 decimals so
-- equal scores tie on every engine; the ranking below sorts groups, not
-- customers. A group has one probability (one recency day is one tenth), so
-- sums over it are counts times a value, in no order that could change them.
score_groups as (
    select
        predictor,
        round(score * 1e12) as score_key,
        max(probability) as probability,
        count(*) as customers,
        sum(bought_in_window) as repurchasers
    from scored
    group by predictor, round(score * 1e12)
),

-- The average rank of a group's customers (tied customers share the mean of
-- the ranks they span): the customers scoring lower, plus (customers + 1) / 2.
ranked as (
    select
        *,
        coalesce(sum(customers) over (
            partition by predictor order by score_key rows between unbounded preceding and 1 preceding
        ), 0)
        + (customers + 1) / 2.0 as average_rank
    from score_groups
),

measured as (
    select
        predictor,
        sum(customers) as customers,
        sum(repurchasers) as repurchasers,
        sum(repurchasers) / cast(sum(customers) as {{ type_double() }}) as observed_rate,
        sum(customers * probability) / sum(customers) as mean_probability,
        sum(
            repurchasers * (1 - probability) * (1 - probability)
            + (customers - repurchasers) * probability * probability
        ) / sum(customers) as brier_score,
        case
            when sum(repurchasers) > 0 and sum(repurchasers) < sum(customers)
                then (
                    sum(repurchasers * average_rank)
                    - sum(repurchasers) * (sum(repurchasers) + 1) / 2.0
                ) / (cast(sum(repurchasers) as {{ type_double() }}) * (sum(customers) - sum(repurchasers)))
        end as auc
    from ranked
    group by predictor
),

predictors as (
    select 'repurchase_probability' as predictor
    union all
    select 'at_risk_flag' as predictor
    union all
    select 'rfm_segment_rate' as predictor
    union all
    select 'recency_alone' as predictor
),

shift as (
    select shift_method
    from {{ ref('int_repurchase_shifts') }}
    where scored_snapshot = 's1'
),

final as (
    select
        predictors.predictor,
        {{ rounded_double('measured.auc') }} as auc,
        {{ rounded_double('measured.brier_score') }} as brier_score,
        cast(coalesce(measured.customers, 0) as integer) as customers,
        cast(coalesce(measured.repurchasers, 0) as integer) as repurchasers,
        {{ rounded_double('measured.observed_rate') }} as observed_rate,
        {{ rounded_double('measured.mean_probability') }} as mean_probability,
        case
            when measured.customers is null then 'no_history_two_windows_before_as_of_date'
            when measured.repurchasers = 0 then 'no_buyer_in_the_evaluation_window'
            when measured.repurchasers = measured.customers then 'no_non_buyer_in_the_evaluation_window'
        end as not_evaluated_reason,
        case when predictors.predictor = 'repurchase_probability' then shift.shift_method end as shift_method,
        {{ add_days('to_evaluate.anchor_date', -2 * var('backtest_window_days') | int) }} as trained_as_of,
        {{ add_days('to_evaluate.anchor_date', -(var('backtest_window_days') | int)) }} as evaluated_as_of,
        to_evaluate.evaluation_key,
        {{ staged_at() }} as evaluated_at
    from predictors
    cross join to_evaluate
    cross join shift
    left join measured
        on predictors.predictor = measured.predictor
)

select * from final
