-- How well the repurchase probability would have done (docs/definitions.md
-- §13), out of time: the same method trained one window earlier (s2) and
-- applied at s1 = the training anchor less one window, against who really
-- bought in the window after s1 (which ends on the anchor). One row per
-- predictor: the probability; the at-risk flag (the share of its group
-- that bought again after s2); the RFM segment (the share of the segment
-- that bought again after s2, the segments scored at each snapshot as
-- rfm_segments scores them); recency alone (ranked by recency for the AUC;
-- the share of its recency tenth after s2 for the Brier score). AUC: the
-- chance a random buyer scores above a random non-buyer, ties counting half
-- (average ranks of scores rounded to 12 decimals, so equal scores tie on
-- every engine). Brier score: the mean squared gap between the probability
-- and the outcome (0 is perfect). Null, with the reason, where the history
-- does not reach back two windows or the window after s1 holds no buyer or
-- no non-buyer. repurchase_model_evaluation publishes it with the as-of date.
--
-- Incremental: evaluated again only when evaluation_key changes, the
-- training (int_repurchase_training) or the rules (every var, the
-- vocabularies and the segment map: rules_fingerprint), so once a month. The
-- four predictors' rows are replaced together (unique key predictor).
{%- set method = var('at_risk_percentile_method') %}
{%- set fixed_recency = var('at_risk_recency_days') %}
{%- set fixed_frequency = var('at_risk_max_orders') %}
{{ config(
    materialized='incremental' if target.type in ['duckdb', 'postgres'] else 'table',
    unique_key='predictor',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

-- This build's evaluation, unless the rows stored were evaluated from the same key.
to_evaluate as (
    select
        anchor_date,
        {{ dbt.concat(['training_key', "'|" ~ rules_fingerprint() ~ "'"]) }} as evaluation_key
    from {{ ref('int_repurchase_training') }}
    {%- if is_incremental() %}
    where {{ dbt.concat(['training_key', "'|" ~ rules_fingerprint() ~ "'"]) }}
        not in (select evaluation_key from {{ this }})
    {%- endif %}
),

snapshots as (
    select * from {{ ref('int_repurchase_snapshots') }}
    where
        snapshot_name in ('s1', 's2')
        and exists (select 1 from to_evaluate)
),

predictions as (
    select * from {{ ref('int_repurchase_predictions') }}
    where
        scored_snapshot = 's1'
        and exists (select 1 from to_evaluate)
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

-- The at-risk rule applied at each snapshot, with the build's vars.
at_risk_thresholds as (
    select
        snapshot_name,
        {{ fixed_recency if fixed_recency is not none
            else percentile('recency_days', var('at_risk_recency_percentile'), method) }} as recency_threshold,
        {{ fixed_frequency if fixed_frequency is not none
            else percentile('frequency', var('at_risk_frequency_percentile'), method) }} as frequency_threshold
    from snapshots
    group by snapshot_name
),

-- Tenths of recency within each snapshot, scored once per distinct value and
-- joined back (macros/scoring/quantile_score.sql): a window sort of every
-- row cost more than the rest of the model.
recency_tenths as (
    {{ quantile_scores_of_values('snapshots', 'recency_days', higher_is_better=false, buckets=10,
        partition_by=['snapshot_name']) }}
),

-- Left joins, though every row has its score, so that DuckDB hashes the few
-- scored values, not the customers (DECISIONS.md, Performance).
grouped as (
    select
        snapshots.snapshot_name,
        snapshots.customer_id,
        snapshots.recency_days,
        snapshots.bought_in_window,
        case
            when
                snapshots.recency_days > at_risk_thresholds.recency_threshold
                and snapshots.frequency <= at_risk_thresholds.frequency_threshold
                then 'at_risk'
            else 'not_at_risk'
        end as at_risk_group,
        recency_tenths.score as recency_tenth
    from snapshots
    inner join at_risk_thresholds
        on snapshots.snapshot_name = at_risk_thresholds.snapshot_name
    left join recency_tenths
        on
            snapshots.snapshot_name = recency_tenths.snapshot_name
            and snapshots.recency_days = recency_tenths.recency_days
),

-- RFM scores and segments at each snapshot, by the rules of
-- int_customer_rfm_scores and rfm_segments (recency and frequency scored
-- per distinct value, as there).
monetary_scored as (
    select
        snapshot_name,
        customer_id,
        recency_days,
        frequency,
        bought_in_window,
        {{ rfm_score('monetary', partition_by='snapshot_name') }} as m_score
    from snapshots
),

recency_scores as (
    {{ rfm_scores_of_values('snapshots', 'recency', partition_by=['snapshot_name']) }}
),

frequency_scores as (
    {{ rfm_scores_of_values('snapshots', 'frequency', partition_by=['snapshot_name']) }}
),

rfm_scored as (
    select
        monetary_scored.snapshot_name,
        monetary_scored.customer_id,
        monetary_scored.bought_in_window,
        recency_scores.score as r_score,
        frequency_scores.score as f_score,
        monetary_scored.m_score
    from monetary_scored
    left join recency_scores
        on
            monetary_scored.snapshot_name = recency_scores.snapshot_name
            and monetary_scored.recency_days = recency_scores.recency_days
    left join frequency_scores
        on
            monetary_scored.snapshot_name = frequency_scores.snapshot_name
            and monetary_scored.frequency = frequency_scores.frequency
),

cell_segments as (
    {{ rfm_cell_segments('segment_map') }}
),

segmented as (
    select
        rfm_scored.snapshot_name,
        rfm_scored.customer_id,
        rfm_scored.bought_in_window,
        cell_segments.rfm_segment
    from rfm_scored
    left join cell_segments
        on
            rfm_scored.r_score = cell_segments.r_score
            and rfm_scored.f_score = cell_segments.f_score
            and rfm_scored.m_score = cell_segments.m_score
),

segment_rates as (
    select
        rfm_segment,
        avg(cast(bought_in_window as {{ type_double() }})) as rate
    from segmented
    where snapshot_name = 's2'
    group by rfm_segment
),

-- A group (segment, at-risk group, recency tenth) nobody was in at s2 takes
-- the rate of everyone at s2.
overall_rate as (
    select avg(cast(bought_in_window as {{ type_double() }})) as rate
    from snapshots
    where snapshot_name = 's2'
),

at_risk_rates as (
    select
        at_risk_group,
        avg(cast(bought_in_window as {{ type_double() }})) as rate
    from grouped
    where snapshot_name = 's2'
    group by at_risk_group
),

recency_rates as (
    select
        recency_tenth,
        avg(cast(bought_in_window as {{ type_double() }})) as rate
    from grouped
    where snapshot_name = 's2'
    group by recency_tenth
),

-- Every predictor's probability (and, for recency, its own ranking score)
-- for each customer of s1, beside the outcome.
scored as (
    select
        'repurchase_probability' as predictor,
        customer_id,
        repurchase_probability as probability,
        repurchase_probability as score,
        bought_in_window
    from predictions

    union all

    select
        'at_risk_flag' as predictor,
        grouped.customer_id,
        coalesce(at_risk_rates.rate, overall_rate.rate) as probability,
        coalesce(at_risk_rates.rate, overall_rate.rate) as score,
        grouped.bought_in_window
    from grouped
    cross join overall_rate
    left join at_risk_rates
        on grouped.at_risk_group = at_risk_rates.at_risk_group
    where grouped.snapshot_name = 's1' and overall_rate.rate is not null

    union all

    select
        'rfm_segment_rate' as predictor,
        segmented.customer_id,
        coalesce(segment_rates.rate, overall_rate.rate) as probability,
        coalesce(segment_rates.rate, overall_rate.rate) as score,
        segmented.bought_in_window
    from segmented
    cross join overall_rate
    left join segment_rates
        on segmented.rfm_segment = segment_rates.rfm_segment
    where segmented.snapshot_name = 's1' and overall_rate.rate is not null

    union all

    select
        'recency_alone' as predictor,
        grouped.customer_id,
        coalesce(recency_rates.rate, overall_rate.rate) as probability,
        -cast(grouped.recency_days as {{ type_double() }}) as score,
        grouped.bought_in_window
    from grouped
    cross join overall_rate
    left join recency_rates
        on grouped.recency_tenth = recency_rates.recency_tenth
    where grouped.snapshot_name = 's1' and overall_rate.rate is not null
),

-- Each predictor's customers grouped by score, rounded to 12 decimals so
-- equal scores tie on every engine: a few groups for the rate predictors,
-- one per cell or recency day for the others, so the ranking below sorts
-- groups, not customers (DECISIONS.md, Performance). A group has one probability
-- (equal scores are equal probabilities; one recency day is one tenth), so
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

-- The average rank of a group's customers among the predictor's (tied
-- customers share the mean of the ranks they span): the customers scoring
-- lower, plus (customers + 1) / 2.
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
