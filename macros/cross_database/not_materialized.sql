{% macro not_materialized() -%}
    {#- Written between a CTE's name and its body ("trimmed as {{ not_materialized() }} ("):
        a CTE read twice is then inlined into each reader instead of stored.
        DuckDB otherwise stores it whole, which spilled past the memory limit
        on wide raw tables (DECISIONS.md, Staging). Postgres takes the same
        hint; engines without the syntax (Spark) inline anyway. -#}
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


{% macro materialized() -%}
    {#- Written between a CTE's name and its body: the CTE is computed on its
        own and stored, so the engine plans it with what it knows about its own
        inputs instead of merging it into the query around it. Engines without
        the syntax (Spark) plan it inline. -#}
    {{ return(adapter.dispatch('materialized', 'risk_segmentation')()) }}
{%- endmacro %}

{% macro default__materialized() -%}
{%- endmacro %}

{% macro duckdb__materialized() -%}
    materialized
{%- endmacro %}

{% macro postgres__materialized() -%}
    materialized
{%- endmacro %}
