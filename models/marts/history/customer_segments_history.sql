-- Segment membership over time (docs/definitions.md §8): a row per customer and as-of
-- date on which any tracked segment column differs from the customer's
-- previous version; a first build records every customer. A build at a later
-- date appends, at the latest date replaces it, at an earlier date inserts it
-- (the pre-hook makes room: macros/history/segment_history.sql). A
-- --full-refresh keeps the history (full_refresh: false).
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='fail',
    partition_by=(['valid_from'] if target.type == 'spark' else none),
    pre_hook="{{ prepare_segment_history(ref('customer_segments')) }}",
) }}

with

current_segments as (
    select * from {{ ref('customer_segments') }}
),

{% if is_incremental() -%}
{%- if target.type == 'spark' -%}
latest_recorded as (
    select max(valid_from) as valid_from from {{ this }}
),
{% endif %}

-- Each customer's latest version before this build's as-of date.
earlier_versions as (
    select
        *,
        row_number() over (partition by customer_id order by valid_from desc) as version_rank
    from {{ this }}
    where valid_from < (select max(current_segments.as_of_date) from current_segments)
),

previous_versions as (
    select * from earlier_versions
    where version_rank = 1
),
{%- endif %}

final as (
    select
        current_segments.customer_id,
        current_segments.rfm_segment,
        current_segments.lifecycle_stage,
        current_segments.is_at_risk,
        current_segments.churn_risk,
        current_segments.return_tier,
        current_segments.value_tier,
        current_segments.risk_value_quadrant,
        -- Last: Spark keeps partition columns at the end of the table.
        current_segments.as_of_date as valid_from
    from current_segments
    {%- if is_incremental() %}
    left join previous_versions
        on current_segments.customer_id = previous_versions.customer_id
    where
        {%- if target.type == 'spark' %}
        -- Spark cannot insert a date into the past: an earlier date records nothing.
        current_segments.as_of_date >= coalesce(
            (select latest_recorded.valid_from from latest_recorded), current_segments.as_of_date
        )
        and
        {%- endif %}
        (
            previous_versions.customer_id is null
            or current_segments.rfm_segment is distinct from previous_versions.rfm_segment
            or current_segments.lifecycle_stage is distinct from previous_versions.lifecycle_stage
            or current_segments.is_at_risk is distinct from previous_versions.is_at_risk
            or current_segments.churn_risk is distinct from previous_versions.churn_risk
            or current_segments.return_tier is distinct from previous_versions.return_tier
            or current_segments.value_tier is distinct from previous_versions.value_tier
            or current_segments.risk_value_quadrant is distinct from previous_versions.risk_value_quadrant
        )
    {%- endif %}
)

select * from final
