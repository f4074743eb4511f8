{% macro analyze_table() -%}
    {#- The post-hook of every model and seed (dbt_project.yml): on Postgres,
        `analyze` the relation just built so the next model is planned from
        its statistics. A table dbt has just created has none (autovacuum
        analyses it later, often after the models reading it have run), so
        the planner guesses sizes and picks nested loops (issue 23,
        DECISIONS.md "Postgres"). Table-like nodes only:
        a view has no statistics of its own. An incremental model is analysed
        after its rows are deleted and appended, in the same transaction. Other
        engines keep their own statistics as they write (DuckDB) or are not
        helped by it (Spark): nothing. -#}
    {{ return(adapter.dispatch('analyze_table', 'risk_segmentation')()) }}
{%- endmacro %}

{% macro default__analyze_table() -%}
{%- endmacro %}

{% macro postgres__analyze_table() -%}
    {%- if config.get('materialized') in ['table', 'incremental', 'seed', 'snapshot'] -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
