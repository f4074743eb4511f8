{% macro refuse_published_database() %}
    {#- Runs at on-run-start. BI's DuckDB file is written by `risk-segmentation
        publish` alone (docs/operations.md): publish keeps a lock file,
        <file>.publish.lock, beside every file it publishes, and builds in a
        private builder beside it. A dbt run pointed at a published file (say
        RISK_SEGMENTATION_DUCKDB_PATH=risk_segmentation.duckdb) would write
        staging tables with raw personal data into what BI reads, so it stops
        here, before any model runs. -#}
    {%- if execute and target.type == 'duckdb' and target.path not in [none, '', ':memory:'] -%}
        {%- set lock_file = target.path ~ '.publish.lock' -%}
        {%- set found = run_query("select count(*) from glob(" ~ sql_string_literal(lock_file) ~ ")") -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {{ exceptions.raise_compiler_error(
                "The DuckDB file " ~ target.path ~ " is published by `risk-segmentation publish` (" ~ lock_file
                ~ " is beside it): BI reads it, and dbt never builds into it. Build into a file of your own"
                ~ " (unset RISK_SEGMENTATION_DUCKDB_PATH: the dev target's default is target/dev.duckdb), or"
                ~ " publish with `risk-segmentation publish`."
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1 {#- on-run-start needs a statement -#}
{% endmacro %}
