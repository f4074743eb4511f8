-- Every threshold used in this build, one row per threshold (docs/definitions.md §3):
-- its name, the percentile it was computed at (null when fixed by a var), its
-- value and the population it was computed over. Return-risk thresholds are
-- the store return rate and the rates at which each return tier begins.
{%- set bins = {
    'recency': var('rfm_recency_bins'),
    'frequency': var('rfm_frequency_bins'),
    'monetary': var('rfm_monetary_bins'),
} %}

with

thresholds as (
    select * from {{ ref('int_segment_thresholds') }}
),

store_returns as (
    select * from {{ ref('int_store_return_rate') }}
),

final as (
    select
        as_of_date,
        'at_risk_recency_days' as threshold_name,
        case when at_risk_recency_percentile is null then 'fixed' else at_risk_percentile_method end
            as threshold_method,
        cast(at_risk_recency_percentile as {{ type_double() }}) as percentile,
        at_risk_recency_threshold_days as threshold_value,
        population
    from thresholds

    union all

    select
        as_of_date,
        'at_risk_max_orders' as threshold_name,
        case when at_risk_frequency_percentile is null then 'fixed' else at_risk_percentile_method end
            as threshold_method,
        cast(at_risk_frequency_percentile as {{ type_double() }}) as percentile,
        at_risk_frequency_threshold as threshold_value,
        population
    from thresholds

    union all

    select
        as_of_date,
        'lifecycle_active_days' as threshold_name,
        'fixed' as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        cast(lifecycle_active_days as {{ type_double() }}) as threshold_value,
        population
    from thresholds

    union all

    select
        as_of_date,
        'lifecycle_lapsed_days' as threshold_name,
        'fixed' as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        cast(lifecycle_lapsed_days as {{ type_double() }}) as threshold_value,
        population
    from thresholds

    union all

    select
        as_of_date,
        'value_tier_monetary' as threshold_name,
        value_tier_percentile_method as threshold_method,
        cast(value_tier_percentile as {{ type_double() }}) as percentile,
        value_tier_monetary_threshold as threshold_value,
        population
    from thresholds
    {%- for dimension, cuts in bins.items() if cuts is iterable %}
        {%- for cut in cuts %}

    union all

    select
        as_of_date,
        'rfm_{{ dimension }}_bin_{{ loop.index }}' as threshold_name,
        'fixed' as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        cast({{ cut }} as {{ type_double() }}) as threshold_value,
        population
    from thresholds
        {%- endfor %}
    {%- endfor %}

    union all

    select
        as_of_date,
        'store_return_rate' as threshold_name,
        'ratio' as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        store_return_rate as threshold_value,
        population
    from store_returns

    union all

    select
        as_of_date,
        'return_tier_standard_rate' as threshold_name,
        case when return_tier_mode = 'relative' then 'relative' else 'fixed' end as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        standard_limit_rate as threshold_value,
        population
    from store_returns

    union all

    select
        as_of_date,
        'return_tier_at_risk_rate' as threshold_name,
        case when return_tier_mode = 'relative' then 'relative' else 'fixed' end as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        at_risk_limit_rate as threshold_value,
        population
    from store_returns

    union all

    select
        as_of_date,
        'return_tier_serial_returner_rate' as threshold_name,
        case when return_tier_mode = 'relative' then 'relative' else 'fixed' end as threshold_method,
        cast(null as {{ type_double() }}) as percentile,
        serial_returner_limit_rate as threshold_value,
        population
    from store_returns
)

select * from final
