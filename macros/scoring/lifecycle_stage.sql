{% macro lifecycle_stage(recency_days) -%}
    {#- active up to var lifecycle_active_days (90) days since the last counted
        order, at_risk up to var lifecycle_lapsed_days (180), lapsed beyond. -#}
    case
        when {{ recency_days }} <= {{ var('lifecycle_active_days') }} then 'active'
        when {{ recency_days }} <= {{ var('lifecycle_lapsed_days') }} then 'at_risk'
        else 'lapsed'
    end
{%- endmacro %}
