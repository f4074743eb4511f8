{% macro percentile_cont(expression, fraction) -%}
    {#- The continuous percentile of expression at fraction, as an aggregate:
        linear interpolation between the two nearest ranks, over non-null
        values, in double precision. Every implementation computes
        lo + (hi - lo) * ((n - 1) * fraction - floor((n - 1) * fraction)), so
        every engine returns the same double. Null over no rows.
        Postgres and Snowflake use the standard ordered-set aggregate of
        default__; DuckDB, Spark and BigQuery spell it their own way. -#}
    {{ return(adapter.dispatch('percentile_cont', 'risk_segmentation')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by cast({{ expression }} as {{ type_double() }}))
{%- endmacro %}

{% macro postgres__percentile_cont(expression, fraction) -%}
    {{ default__percentile_cont(expression, fraction) }}
{%- endmacro %}

{% macro snowflake__percentile_cont(expression, fraction) -%}
    {{ default__percentile_cont(expression, fraction) }}
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont(cast({{ expression }} as double), {{ fraction }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
    {#- Spark's percentile() is exact (percentile_approx is not). -#}
    percentile(cast({{ expression }} as double), {{ fraction }})
{%- endmacro %}

{% macro bigquery__percentile_cont(expression, fraction) -%}
    {#- BigQuery has percentile_cont only as a window function and
        approx_quantiles is approximate: interpolate between the two ranks of a
        sorted array, exactly as the other engines do. -#}
    (
        array_agg(cast({{ expression }} as float64) ignore nulls order by {{ expression }})[
            safe_offset(cast(floor((count({{ expression }}) - 1) * {{ fraction }}) as int64))]
        + (
            array_agg(cast({{ expression }} as float64) ignore nulls order by {{ expression }})[
                safe_offset(cast(ceil((count({{ expression }}) - 1) * {{ fraction }}) as int64))]
            - array_agg(cast({{ expression }} as float64) ignore nulls order by {{ expression }})[
                safe_offset(cast(floor((count({{ expression }}) - 1) * {{ fraction }}) as int64))]
        ) * ((count({{ expression }}) - 1) * {{ fraction }} - floor((count({{ expression }}) - 1) * {{ fraction }}))
    )
{%- endmacro %}
