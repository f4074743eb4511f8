{% macro percentile_disc(expression, fraction) -%}
    {#- The discrete percentile of expression at fraction, as an aggregate: the
        first value (in ascending order, non-null values) whose cumulative share
        of rows reaches fraction. Always a value of the data, in its own type.
        Null over no rows. Postgres and Snowflake use the standard ordered-set
        aggregate of default__. -#}
    {{ return(adapter.dispatch('percentile_disc', 'risk_segmentation')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_disc(expression, fraction) -%}
    percentile_disc({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro postgres__percentile_disc(expression, fraction) -%}
    {{ default__percentile_disc(expression, fraction) }}
{%- endmacro %}

{% macro snowflake__percentile_disc(expression, fraction) -%}
    {{ default__percentile_disc(expression, fraction) }}
{%- endmacro %}

{% macro duckdb__percentile_disc(expression, fraction) -%}
    quantile_disc({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_disc(expression, fraction) -%}
    percentile_disc({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro bigquery__percentile_disc(expression, fraction) -%}
    {#- The value at 1-based position ceil(n * fraction) of the sorted values. -#}
    array_agg({{ expression }} ignore nulls order by {{ expression }})[
        safe_offset(greatest(cast(ceil(count({{ expression }}) * {{ fraction }}) as int64), 1) - 1)]
{%- endmacro %}
