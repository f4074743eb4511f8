-- The customers of the evaluation's two snapshots, s1 and s2
-- (docs/definitions.md §13), in the groups the three baseline predictors
-- score by: the at-risk group (the at-risk rule applied at the snapshot with
-- the build's vars), the tenth of recency within the snapshot, and the RFM
-- segment (scored at the snapshot as int_customer_rfm_scores and
-- rfm_segments score them). int_repurchase_baseline_predictions learns each
-- group's rate at s2 and applies it at s1.
--
-- Incremental: computed again only when the evaluation key changes (a new
-- training or new rules: repurchase_evaluation_key), so once a month. The
-- unique key evaluation_set is the same on every row: new groups replace
-- every row.
{%- set method = var('at_risk_percentile_method') %}
{%- set fixed_recency = var('at_risk_recency_days') %}
{%- set fixed_frequency = var('at_risk_max_orders') %}
{{ config(
    materialized='incremental' if target.type in ['duckdb', 'postgres'] else 'table',
    unique_key='evaluation_set',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
) }}

with

-- This build's evaluation, unless the rows stored were computed under the same key.
to_evaluate as (
    select {{ repurchase_evaluation_key() }} as evaluation_key
    from {{ ref('int_repurchase_training') }}
    {%- if is_incremental() %}
    where {{ repurchase_evaluation_key() }} not in (select evaluation_key from {{ this }})
    {%- endif %}
),

snapshots as (
    select * from {{ ref('int_repurchase_snapshots') }}
    where
        snapshot_name in ('s1', 's2')
        and exists (select 1 from to_evaluate)
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

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

-- Recency and frequency take few distinct values: each is scored once and
-- joined back (macros/scoring).
recency_tenths as (
    {{ quantile_scores_of_values('snapshots', 'recency_days', higher_is_better=false, buckets=10,
        partition_by=['snapshot_name']) }}
),

recency_scores as (
    {{ rfm_scores_of_values('snapshots', 'recency', partition_by=['snapshot_name']) }}
),

frequency_scores as (
    {{ rfm_scores_of_values('snapshots', 'frequency', partition_by=['snapshot_name']) }}
),

monetary_scored as (
    select
        *,
        {{ rfm_score('monetary', partition_by='snapshot_name') }} as m_score
    from snapshots
),

cell_segments as (
    {{ rfm_cell_segments('segment_map') }}
),

-- Left joins, though every row has its score, so that DuckDB hashes the few
-- scored values, not the customers.
final as (
    select
        monetary_scored.snapshot_name,
        monetary_scored.customer_id,
        monetary_scored.recency_days,
        monetary_scored.bought_in_window,
        case
            when
                monetary_scored.recency_days > at_risk_thresholds.recency_threshold
                and monetary_scored.frequency <= at_risk_thresholds.frequency_threshold
                then 'at_risk'
            else 'not_at_risk'
        end as at_risk_group,
        recency_tenths.score as recency_tenth,
        cell_segments.rfm_segment,
        to_evaluate.evaluation_key,
        'repurchase' as evaluation_set
    from monetary_scored
    cross join to_evaluate
    inner join at_risk_thresholds
        on monetary_scored.snapshot_name = at_risk_thresholds.snapshot_name
    left join recency_tenths
        on
            monetary_scored.snapshot_name = recency_tenths.snapshot_name
            and monetary_scored.recency_days = recency_tenths.recency_days
    left join recency_scores
        on
            monetary_scored.snapshot_name = recency_scores.snapshot_name
            and monetary_scored.recency_days = recency_scores.recency_days
    left join frequency_scores
        on
            monetary_scored.snapshot_name = frequency_scores.snapshot_name
            and monetary_scored.frequency = frequency_scores.frequency
    left join cell_segments
        on
            recency_scores.score = cell_segments.r_score
            and frequency_scores.score = cell_segments.f_score
            and monetary_scored.m_score = cell_segments.m_score
)

select * from final
