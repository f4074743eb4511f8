{% macro not_materialized() -%}
    {#- Written between a CTE's name and its body ("trimmed as {{ not_materialized() }} ("):
        a CTE read twice is then inlined into each reader instead of stored.
        DuckDB otherwise stores it whole, which at ten million wide rows spills
        past the memory limit and took twice as long as reading the raw table
        twice and streaming. Postgres takes the same hint; engines without the
        syntax (Spark) inline anyway. -#}
    {{ return(adapter.dispatch('not_materialized', 'risk_segmentation')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro postgres__not_materialized() -%}
    not materialized
{%- endmacro %}
