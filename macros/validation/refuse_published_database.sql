{% macro refuse_published_database() %}
    {#- Runs at on-run-start. BI's DuckDB file is written by `risk-segmentation
        publish` alone (docs/operations.md): publish keeps a lock file,
        <file>.publish.lock, beside every file it publishes, and builds in a
        private builder beside it. A dbt run pointed at a published file (say
        RISK_SEGMENTATION_DUCKDB_PATH=risk_segmentation.duckdb) would write
        staging tables with raw personal data into what BI reads, so it stops
        here, before any model runs. On Postgres, the schema publish replaces
        carries a comment saying so (publish_postgres.py). -#}
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
    {%- elif execute and target.type == 'postgres' -%}
        {#- On Postgres, publish comments the schema it publishes. -#}
        {%- set found = run_query(
            "select count(*) from pg_namespace where nspname = " ~ sql_string_literal(target.schema)
            ~ " and obj_description(oid, 'pg_namespace') = 'published by risk-segmentation publish'"
        ) -%}
        {%- if found.columns[0].values()[0] > 0 -%}
            {{ exceptions.raise_compiler_error(
                "The schema " ~ target.schema ~ " is published by `risk-segmentation publish` -- --target postgres:"
                ~ " BI reads it, and dbt never builds into it. Build into a schema of your own"
                ~ " (RISK_SEGMENTATION_PG_SCHEMA=analytics_dev), or publish."
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1 {#- on-run-start needs a statement -#}
{% endmacro %}
