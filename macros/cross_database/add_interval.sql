{% macro add_days(expression, days) -%}
    {#- A date plus a whole number of days, as a date. -#}
    {{ return(adapter.dispatch('add_days', 'risk_segmentation')(expression, days)) }}
{%- endmacro %}

{% macro default__add_days(expression, days) -%}
    cast({{ dbt.dateadd('day', days, expression) }} as date)
{%- endmacro %}

{% macro spark__add_days(expression, days) -%}
    {#- dbt-spark's dateadd goes through Unix seconds and loses naive
        (TIMESTAMP_NTZ) values; date_add is Spark's own. -#}
    date_add({{ expression }}, {{ days }})
{%- endmacro %}


{% macro add_hours(expression, hours) -%}
    {#- A timestamp plus a whole number of hours. -#}
    {{ return(adapter.dispatch('add_hours', 'risk_segmentation')(expression, hours)) }}
{%- endmacro %}

{% macro default__add_hours(expression, hours) -%}
    {{ dbt.dateadd('hour', hours, expression) }}
{%- endmacro %}

{% macro spark__add_hours(expression, hours) -%}
    timestampadd(hour, {{ hours }}, {{ expression }})
{%- endmacro %}
