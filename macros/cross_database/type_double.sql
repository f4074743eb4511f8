{% macro type_double() -%}
    {#- An 8-byte floating point type. type_double() is 4 bytes on DuckDB,
        too coarse for thresholds. -#}
    {{ return(adapter.dispatch('type_double', 'risk_segmentation')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{% macro bigquery__type_double() -%}
    float64
{%- endmacro %}
