-- The three baselines the repurchase probability is evaluated against
-- (docs/definitions.md §13), for each customer of s1: the share of its group
-- at s2 (int_repurchase_snapshot_groups) that bought again in the window
-- after s2 (probability), and the score the evaluation ranks by. at_risk_flag:
-- the at-risk group; rfm_segment_rate: the RFM segment; recency_alone: the
-- tenth of recency, ranked by recency itself (more recent scores higher). A
-- group nobody was in at s2 takes the rate of everyone at s2; without anyone
-- at s2, no row. A view over the stored groups (DECISIONS.md, Repurchase
-- probability).
{{ config(materialized='view') }}

with

snapshot_groups as (
    select * from {{ ref('int_repurchase_snapshot_groups') }}
    -- the groups of this build's training and rules: the store may hold an
    -- earlier training's when this one came out empty
    where evaluation_key in (
            select {{ repurchase_evaluation_key() }} from {{ ref('int_repurchase_training') }}
        )
),

scored_customers as (
    select * from snapshot_groups
    where snapshot_name = 's1'
),

learned_from as (
    select * from snapshot_groups
    where snapshot_name = 's2'
),

overall_rate as (
    select avg(cast(bought_in_window as {{ type_double() }})) as rate
    from learned_from
),

at_risk_rates as (
    select
        at_risk_group,
        avg(cast(bought_in_window as {{ type_double() }})) as rate
    from learned_from
    group by at_risk_group
),

segment_rates as (
    select
        rfm_segment,
        avg(cast(bought_in_window as {{ type_double() }})) as rate
    from learned_from
    group by rfm_segment
),

recency_rates as (
    select
        recency_tenth,
        avg(cast(bought_in_window as {{ type_double() }})) as rate
    from learned_from
    group by recency_tenth
),

-- One row per baseline and customer of s1, as the evaluation ranks them.
per_customer as (
    select
        scored_customers.customer_id,
        scored_customers.bought_in_window,
        scored_customers.recency_days,
        coalesce(at_risk_rates.rate, overall_rate.rate) as at_risk_rate,
        coalesce(segment_rates.rate, overall_rate.rate) as segment_rate,
        coalesce(recency_rates.rate, overall_rate.rate) as recency_rate
    from scored_customers
    cross join overall_rate
    left join at_risk_rates
        on scored_customers.at_risk_group = at_risk_rates.at_risk_group
    left join segment_rates
        on scored_customers.rfm_segment = segment_rates.rfm_segment
    left join recency_rates
        on scored_customers.recency_tenth = recency_rates.recency_tenth
    where overall_rate.rate is not null
),

final as (
    select
        'at_risk_flag' as predictor,
        customer_id,
        at_risk_rate as probability,
        at_risk_rate as score,
        bought_in_window
    from per_customer

    union all

    select
        'rfm_segment_rate' as predictor,
        customer_id,
        segment_rate as probability,
        segment_rate as score,
        bought_in_window
    from per_customer

    union all

    select
        'recency_alone' as predictor,
        customer_id,
        recency_rate as probability,
        -cast(recency_days as {{ type_double() }}) as score,
        bought_in_window
    from per_customer
)

select * from final
