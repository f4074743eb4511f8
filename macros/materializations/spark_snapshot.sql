{#- dbt-spark's snapshot materialization, extended to plain Spark tables.

    dbt-spark snapshots only Delta, Iceberg and Hudi tables: it updates
    closed versions with MERGE, which plain (Parquet) Spark tables lack. A
    local Spark without the Delta Lake jars could then keep no segment
    history. Here a snapshot into a Parquet table (file_format: parquet)
    rewrites the table instead: the existing versions, closed where the
    staging rows say so, plus the new versions, written to a side table and
    copied back with INSERT OVERWRITE (Spark will not overwrite a table it
    is reading). Delta, Iceberg and Hudi tables still MERGE, exactly as in
    dbt-spark 1.11. Everything else below is dbt-spark's materialization
    unchanged; only the two marked blocks differ. -#}

{% macro spark_rewrite_snapshot(target, staging_table) -%}
    {%- set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() -%}
    {%- set target_columns = adapter.get_columns_in_relation(target) | map(attribute='name') | list -%}
    {%- set rewritten = api.Relation.create(
        identifier=target.identifier ~ '__dbt_rewrite', schema=target.schema, database=none, type='table'
    ) -%}
    {%- do adapter.drop_relation(rewritten) -%}
    {% call statement('build_snapshot_rewrite') %}
        create table {{ rewritten }} using parquet as
        select
        {%- for name in target_columns %}
            {%- if name == columns.dbt_valid_to %}
            case
                when closing.{{ columns.dbt_scd_id }} is not null and existing.{{ name }} is null
                    then closing.{{ name }}
                else existing.{{ name }}
            end as {{ adapter.quote(name) }}
            {%- else %}
            existing.{{ adapter.quote(name) }}
            {%- endif %}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ target }} as existing
        left join (
            select * from {{ staging_table }} where dbt_change_type in ('update', 'delete')
        ) as closing
            on existing.{{ columns.dbt_scd_id }} = closing.{{ columns.dbt_scd_id }}
        union all
        select
        {%- for name in target_columns %}
            {{ adapter.quote(name) }}{{ ',' if not loop.last }}
        {%- endfor %}
        from {{ staging_table }}
        where dbt_change_type = 'insert'
    {% endcall %}
    {%- set overwrite -%}
        insert overwrite table {{ target }} select * from {{ rewritten }}
    {%- endset -%}
    {{ return({'sql': overwrite, 'rewritten': rewritten}) }}
{%- endmacro %}


{% materialization snapshot, adapter='spark' %}

  {%- set target_table = model.get('alias', model.get('name')) -%}

  {%- set strategy_name = config.get('strategy') -%}
  {%- set unique_key = config.get('unique_key') %}
  {%- set file_format = config.get('file_format') or 'parquet' -%}
  {%- set grant_config = config.get('grants') -%}

  {% set target_relation_exists, target_relation = get_or_create_relation(
          database=none,
          schema=model.schema,
          identifier=target_table,
          type='table') -%}

  {#- Changed: Parquet is allowed too (rewritten, not merged). -#}
  {%- if file_format not in ['delta', 'iceberg', 'hudi', 'parquet'] -%}
    {% set invalid_format_msg -%}
      Invalid file format: {{ file_format }}
      Snapshot functionality requires file_format be set to 'delta', 'iceberg', 'hudi' or 'parquet'
    {%- endset %}
    {% do exceptions.raise_compiler_error(invalid_format_msg) %}
  {% endif %}
  {%- set mergeable = file_format in ['delta', 'iceberg', 'hudi'] -%}

  {%- if target_relation_exists and mergeable -%}
    {%- if not target_relation.is_delta and not target_relation.is_iceberg and not target_relation.is_hudi -%}
      {% set invalid_format_msg -%}
        The existing table {{ model.schema }}.{{ target_table }} is in another format than 'delta' or 'iceberg' or 'hudi'
      {%- endset %}
      {% do exceptions.raise_compiler_error(invalid_format_msg) %}
    {% endif %}
  {% endif %}

  {% if not adapter.check_schema_exists(model.database, model.schema) %}
    {% do create_schema(model.schema) %}
  {% endif %}

  {%- if not target_relation.is_table -%}
    {% do exceptions.relation_wrong_type(target_relation, 'table') %}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}

  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% set strategy_macro = strategy_dispatch(strategy_name) %}
  {% set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'], target_relation_exists) %}

  {% if not target_relation_exists %}

      {% set build_sql = build_snapshot_table(strategy, model['compiled_code']) %}
      {% set final_sql = create_table_as(False, target_relation, build_sql) %}

  {% else %}

      {% set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() %}

      {{ adapter.valid_snapshot_target(target_relation, columns) }}

      {% set staging_table = spark_build_snapshot_staging_table(strategy, sql, target_relation) %}

      -- this may no-op if the database does not require column expansion
      {% do adapter.expand_target_column_types(from_relation=staging_table,
                                               to_relation=target_relation) %}

      {% set missing_columns = adapter.get_missing_columns(staging_table, target_relation)
                                   | rejectattr('name', 'equalto', 'dbt_change_type')
                                   | rejectattr('name', 'equalto', 'DBT_CHANGE_TYPE')
                                   | rejectattr('name', 'equalto', 'dbt_unique_key')
                                   | rejectattr('name', 'equalto', 'DBT_UNIQUE_KEY')
                                   | list %}

      {% do create_columns(target_relation, missing_columns) %}

      {% set source_columns = adapter.get_columns_in_relation(staging_table)
                                   | rejectattr('name', 'equalto', 'dbt_change_type')
                                   | rejectattr('name', 'equalto', 'DBT_CHANGE_TYPE')
                                   | rejectattr('name', 'equalto', 'dbt_unique_key')
                                   | rejectattr('name', 'equalto', 'DBT_UNIQUE_KEY')
                                   | list %}

      {% set quoted_source_columns = [] %}
      {% for column in source_columns %}
        {% do quoted_source_columns.append(adapter.quote(column.name)) %}
      {% endfor %}

      {#- Changed: MERGE where the format has it, else rewrite. -#}
      {% if mergeable %}
        {% set final_sql = snapshot_merge_sql(
              target = target_relation,
              source = staging_table,
              insert_cols = quoted_source_columns
           )
        %}
      {% else %}
        {% set rewrite = spark_rewrite_snapshot(target_relation, staging_table) %}
        {% set final_sql = rewrite.sql %}
      {% endif %}

  {% endif %}

  {% call statement('main') %}
      {{ final_sql }}
  {% endcall %}

  {% if rewrite is defined %}
      {% do adapter.drop_relation(rewrite.rewritten) %}
  {% endif %}

  {% set should_revoke = should_revoke(target_relation_exists, full_refresh_mode) %}
  {% do apply_grants(target_relation, grant_config, should_revoke) %}

  {% do persist_docs(target_relation, model) %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}

  {{ adapter.commit() }}

  {% if staging_table is defined %}
      {% do post_snapshot(staging_table) %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}

{% endmaterialization %}
