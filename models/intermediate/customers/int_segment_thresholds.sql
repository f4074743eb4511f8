-- Every threshold the segments of this build use, in one row
-- (docs/definitions.md §3-5 and §7): the at-risk recency and frequency thresholds, computed as
-- percentiles over the purchasing population or fixed by var, the lifecycle
-- limits, and the monetary value at which the value tier turns high.
-- segment_thresholds publishes the same values one row per threshold.
{%- set method = var('at_risk_percentile_method') %}
{%- set recency_fraction = var('at_risk_recency_percentile') %}
{%- set frequency_fraction = var('at_risk_frequency_percentile') %}
{%- set fixed_recency = var('at_risk_recency_days') %}
{%- set fixed_frequency = var('at_risk_max_orders') %}
{%- set value_fraction = var('value_tier_percentile') %}
{%- set value_method = var('value_tier_percentile_method') %}

with

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- The percentile population: customers with a counted order (section 2).
population as (
    select
        count(*) as population,
        {{ percentile('recency_days', recency_fraction, method) }} as percentile_recency_days,
        {{ percentile('frequency', frequency_fraction, method) }} as percentile_frequency,
        {{ percentile('monetary', value_fraction, value_method) }} as percentile_monetary
    from customer_order_metrics
    where has_counted_order
),

final as (
    select
        as_of.as_of_date,
        cast(population.population as integer) as population,
        '{{ method }}' as at_risk_percentile_method,
        {{ 'null' if fixed_recency is not none else recency_fraction }} as at_risk_recency_percentile,
        cast(
            {{ fixed_recency if fixed_recency is not none else 'population.percentile_recency_days' }}
            as {{ type_double() }}
        ) as at_risk_recency_threshold_days,
        {{ 'null' if fixed_frequency is not none else frequency_fraction }} as at_risk_frequency_percentile,
        cast(
            {{ fixed_frequency if fixed_frequency is not none else 'population.percentile_frequency' }}
            as {{ type_double() }}
        ) as at_risk_frequency_threshold,
        {{ var('lifecycle_active_days') }} as lifecycle_active_days,
        {{ var('lifecycle_lapsed_days') }} as lifecycle_lapsed_days,
        '{{ value_method }}' as value_tier_percentile_method,
        {{ value_fraction }} as value_tier_percentile,
        cast(population.percentile_monetary as {{ type_double() }}) as value_tier_monetary_threshold
    from population
    cross join as_of
)

select * from final
