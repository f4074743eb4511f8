{#- Incremental staging by load (README "Daily builds"). A raw table is
    batched when its rows arrive in loads: a folder of load files, or a
    warehouse table with a load column (see raw_table_parts). A daily build of a
    *_rows model reads the raw rows of the keys that the new loads hold (and,
    for lines and returns, of the orders staged again), so every version of
    such a key is ranked together, exactly as a full build ranks it, and
    replaces that key's stored rows (delete+insert on the model's unique_key).
    Keys in no new load are not read again. A table that is not batched (one
    file, the sample seeds, a warehouse table without a load column) is staged
    again in full on every build. So is every table when the rules staging
    depends on changed (staging_fingerprint). -#}

{% macro raw_rows_to_stage(table_name, relation, key_column, order_column=none) -%}
    {#- The where clause of a *_rows model's raw CTE (`relation`, its base
        model): on a daily build, the rows without a key of the new loads, and
        every row of the keys that are in a new load, or that a rejection for
        a future date holds back (their time may have come), or (with
        `order_column`) whose order was staged since this model's last build.
        Nothing on a full build, or when the table is staged in full. -#}
    {%- if stages_new_loads_only(table_name) -%}
        {%- set new_loads = new_loads_condition(table_name) -%}
    where
        ({{ new_loads | replace('{load_id}', 'load_id') }} and {{ clean_text(key_column) }} is null)
        or {{ clean_text(key_column) }} in (
            select {{ clean_text('candidate.' ~ key_column) }}
            from {{ relation }} as candidate
            where {{ new_loads | replace('{load_id}', 'candidate.load_id') }}

            union all

            select {{ key_column }}
            from {{ this }}
            where rejection_reason in ('future_ordered_at', 'future_requested_at')
            {%- if order_column == key_column %}

            union all

            {{ orders_staged_since_last_build() }}
            {%- elif order_column %}

            union all

            select {{ clean_text('candidate.' ~ key_column) }}
            from {{ relation }} as candidate
            where {{ clean_text('candidate.' ~ order_column) }} in ({{ orders_staged_since_last_build() }})
            {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}


{% macro new_loads_condition(table_name) -%}
    {#- A condition on the column `{load_id}` (a placeholder the caller
        replaces) true for the loads this model has not staged yet. Load
        files: the names listed in the folder and not among the staged rows'
        load_id, written out, so DuckDB reads only those files (they may
        arrive in any order). A warehouse load column: the values after the
        latest one staged (EL tools write it in increasing order). -#}
    {%- if raw_data_mode() == 'files' -%}
        {%- set staged = run_query(
            "select distinct load_id from " ~ this ~ " where load_id is not null"
        ).columns[0].values() | list -%}
        {%- set new = [] -%}
        {%- for file in raw_files(table_name).files if file.load_id not in staged -%}
            {%- do new.append(sql_string_literal(file.load_id)) -%}
        {%- endfor -%}
        {{ log("Incremental " ~ this.identifier ~ ": " ~ new | length ~ " new load file(s) of "
            ~ table_name ~ " to stage.", info=true) }}
        {{ return("{load_id} in (" ~ new | join(', ') ~ ")" if new else 'false') }}
    {%- endif -%}
    {%- set latest = run_query("select max(load_id) from " ~ this).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{ return('true') }}
    {%- endif -%}
    {{ log("Incremental " ~ this.identifier ~ ": staging the loads of " ~ table_name ~ " after " ~ latest ~ ".", info=true) }}
    {{ return("{load_id} > " ~ sql_string_literal(latest)) }}
{%- endmacro %}


{% macro table_is_batched(table_name) -%}
    {#- Whether a raw table arrives in loads (see raw_table_parts). -#}
    {%- set mode = raw_data_mode() -%}
    {%- if mode == 'files' -%}
        {%- set found = raw_files(table_name) -%}
        {{ return(found is not none and found.batched) }}
    {%- elif mode == 'warehouse' -%}
        {%- set relation = source('shop', table_name) -%}
        {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
        {{ return(found is not none and raw_load_column(table_name, relation) is not none) }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}


{% macro staged_orders_only(table_name, raw_cte) -%}
    {#- A condition (`and ...`) for the order dispositions a *_rows model of
        lines or returns looks its rows' orders up in: on an incremental run,
        only the orders of the raw rows it stages again (`raw_cte`, stored, see
        raw_rows_hint). The lookup then reads the orders of a day, not all of
        them: at L the order lines' join to all 50M order dispositions took
        8 s of a 30 s model. Nothing on a full build, which stages every row. -#}
    {%- if stages_new_loads_only(table_name) -%}
        and order_id in (select {{ clean_text(raw_cte ~ '.order_id') }} from {{ raw_cte }})
    {%- endif -%}
{%- endmacro %}


{% macro raw_rows_hint(table_name) -%}
    {#- Written between a *_rows model's raw CTE name and its body: inlined on
        a full build (see not_materialized); stored on an incremental one, as
        it then holds only the rows staged again, and its filter, which reads
        the raw table twice, would otherwise run again for each reader. -#}
    {{ return('' if stages_new_loads_only(table_name) else not_materialized()) }}
{%- endmacro %}


{% macro orders_staged_since_last_build() -%}
    {#- The order ids stg_shop__order_rows staged after this model's last build:
        lines and returns of those orders are classified again, as their order
        may have changed (rejected, a new total). -#}
    select order_id
    from {{ ref('stg_shop__order_rows') }}
    where staged_at > (select max(staged_at) from {{ this }})
{%- endmacro %}


{% macro staged_at() -%}
    {#- When this build staged the row (dbt's run start, UTC): incremental
        models downstream read the rows staged after their own last build. -#}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{% macro staging_fingerprint() -%}
    {#- What staged rows depend on besides the raw rows themselves: where the
        raw tables are read from, the staging vars and the vocabulary seeds. An
        incremental build whose fingerprint differs from the stored rows' stages
        every row again (see delete_rows_to_restage), as mixing rows staged under
        two sets of rules would be wrong. -#}
    {%- if not execute -%}
        {{ return('') }}  {#- parsing: the graph is not there yet -#}
    {%- endif -%}
    {%- set parts = [
        raw_data_mode(), get_var('raw_data_dir') or '', get_var('raw_schema') or '',
        get_var('raw_csv_delimiter') if raw_data_mode() == 'files' else '',
        get_var('raw_load_column') or '',
        get_var('customer_age_min'), get_var('customer_age_max'),
    ] -%}
    {#- Unit tests render models without the graph: no seeds to fingerprint. -#}
    {%- for node in graph.get('nodes', {}).values() | sort(attribute='unique_id')
        if node.resource_type == 'seed' and node.package_name == project_name
        and node.original_file_path.startswith('seeds/vocabularies/') -%}
        {%- do parts.append(node.name ~ ':' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}


{% macro stages_new_loads_only(table_name) -%}
    {#- True when this build of a *_rows model stages only the new loads (see
        raw_rows_to_stage): an incremental build of a batched table whose
        stored rows were staged under the same rules. -#}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {#- The rules first: a table from before load batches stops the build. -#}
    {{ return(not staged_under_other_rules() and table_is_batched(table_name)) }}
{%- endmacro %}


{% macro staged_under_other_rules() -%}
    {#- True when some row of this incremental model was staged under another
        staging_fingerprint. A table from before load batches has no load_id:
        it needs one full build. -#}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if 'load_id' not in columns -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ " was built by a version of the project without load batches:"
            ~ " rebuild it once with dbt build --full-refresh (risk-segmentation publish -- --full-refresh)."
        ) }}
    {%- endif -%}
    {%- set query -%}
        select count(*) from {{ this }} where staging_fingerprint <> '{{ staging_fingerprint() }}'
    {%- endset -%}
    {%- set other = run_query(query).columns[0].values()[0] > 0 -%}
    {%- if other -%}
        {{ log("Incremental " ~ this.identifier ~ ": the raw source, staging vars or vocabularies changed"
            ~ " since the last build; staging every row again.", info=true) }}
    {%- endif -%}
    {{ return(other) }}
{%- endmacro %}


{% macro delete_rows_to_restage(table_name) -%}
    {#- A *_rows model's pre-hook: on an incremental build that stages the
        table in full (not batched, or staged under other rules), delete every
        row; otherwise the rows of no load (from a build before the table was
        batched), which that build stages again. delete+insert then replaces
        the rows of the keys it stages by their key (the model's unique_key). -#}
    {%- if execute and is_incremental() -%}
        delete from {{ this }}
        {%- if stages_new_loads_only(table_name) %}
        where load_id is null
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
