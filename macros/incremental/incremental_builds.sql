{#- Incremental builds: what the project adds to dbt's incremental
    materialization (is_incremental, unique_key, delete+insert), all in this
    file. docs/daily-builds.md explains them for the user.

    1. Staging by load (the *_rows models, delete+insert on the raw key). A
       raw table is batched when it arrives in loads: a folder of load files,
       or a warehouse table with a load column (raw_table_parts). A daily
       build reads the raw rows of the keys the new loads hold (and, for lines
       and returns, of the orders staged again) from the loads holding them,
       ranks every version of those keys together exactly as a full build
       does, and replaces their stored rows. An unbatched table (one file, the
       sample seeds) is staged again in full on every build; so is every table
       when the staging rules changed (staging_fingerprint).

    2. Refreshing by key (the incremental intermediate models, append after a
       pre-hook delete; dbt_project.yml &refreshed). Row-level models keep
       their rows per order, per-customer aggregates per customer. A daily
       build recomputes the orders or customers whose raw rows were staged
       since the model's last build (read straight from the staged rows,
       staged_changes), or who were active in the days the as-of date moved
       over, and replaces their rows. Each row stores when, for which as-of
       date and under which rules it was computed (refresh_columns), which the
       next build compares. An earlier as-of date or other rules recompute
       every row. What depends on the whole population or on the as-of date
       itself (percentiles, scores, recency) is recomputed in full from the
       small per-customer tables.
-#}


{#- 1. Staging by load -#}

{% macro raw_rows_to_stage(table_name, relation, key_column, order_column=none) -%}
    {#- The where clause of a *_rows model's raw CTE (`relation`, its base
        model): on a daily build, the rows without a key of the new loads, and
        every row of the keys that are in a new load, or that a rejection for
        a future date holds back (their time may have come), or (with
        `order_column`) whose order was staged since this model's last build.
        Old versions of those keys are read only from the loads that hold them
        (loads_holding). Nothing on a full build, or when the table is staged
        in full. -#}
    {%- if stages_new_loads_only(table_name) -%}
        {%- set new_loads = new_loads_condition(table_name) -%}
        {%- set keys -%}
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

            select {{ key_column }}
            from {{ this }}
            where {{ order_column }} in ({{ orders_staged_since_last_build() }})
            {%- endif %}
        {%- endset %}
    where
        {{ loads_holding(keys, key_column, new_loads) | replace('{load_id}', 'load_id') }}
        and (
            ({{ new_loads | replace('{load_id}', 'load_id') }} and {{ clean_text(key_column) }} is null)
            or {{ clean_text(key_column) }} in ({{ keys }})
        )
    {%- endif -%}
{%- endmacro %}


{% macro loads_holding(keys, key_column, new_loads) -%}
    {#- A condition on `{load_id}` true for the new loads and the staged
        loads holding a row of `keys` (every raw row is stored with its load),
        written out so that DuckDB reads only those files: a daily build reads
        the loads its keys are in, not every load of the history. No condition
        for a warehouse load column, which prunes nothing. -#}
    {%- if raw_data_mode() != 'files' -%}
        {{ return('true') }}
    {%- endif -%}
    {%- set query -%}
        select distinct load_id from {{ this }} where load_id is not null and {{ key_column }} in ({{ keys }})
    {%- endset -%}
    {%- set staged = [] -%}
    {%- for load_id in run_query(query).columns[0].values() -%}
        {%- do staged.append(sql_string_literal(load_id)) -%}
    {%- endfor -%}
    {{ log("Incremental " ~ this.identifier ~ ": reading " ~ staged | length
        ~ " staged load file(s) again for the other versions of its keys.", info=true) }}
    {{ return("(" ~ new_loads ~ (" or {load_id} in (" ~ staged | join(', ') ~ ")" if staged else "") ~ ")") }}
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
        them (DECISIONS.md, Incremental builds). Nothing on a full build, which
        stages every row. -#}
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
        if node.resource_type == 'seed' and node.package_name == 'risk_segmentation'
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


{#- 2. Refreshing by key -#}

{% macro refresh_scope(key, changes, quiet=false) -%}
    {#- What this build of an incremental intermediate model recomputes: every
        row (a full or first build, other rules, an earlier as-of date), or
        the keys that changed since its last build, from the bookkeeping
        columns on its rows (refresh_columns). `key`: customer_id or order_id.
        `changes`: which staged rows it follows (staged_change_models), so a
        model that reads no lines never waits for the lines to be staged. -#}
    {%- set unit = {'customer_id': 'customers', 'order_id': 'orders'}[key] -%}
    {#- Parsing records the staged models read as dependencies. A unit test,
        which tests a full build, reads none of them (and would need them as
        inputs). -#}
    {%- for staged in staged_change_models(changes) if model.resource_type != 'unit_test' -%}
        {%- do ref(staged) -%}
    {%- endfor -%}
    {%- set everyone = {'everyone': true, 'key': key, 'unit': unit, 'changes': changes} -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(everyone) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if 'computed_at' not in columns -%}
        {{ exceptions.raise_compiler_error(
            this.identifier ~ " was built by a version of the project without incremental intermediate models:"
            ~ " rebuild it once with dbt build --full-refresh (risk-segmentation publish -- --full-refresh)."
        ) }}
    {%- endif -%}
    {%- set query -%}
        select
            max(computed_at) as last_computed_at,
            max(computed_as_of) as last_as_of_date,
            max(case when rules_fingerprint <> '{{ rules_fingerprint() }}' then 1 else 0 end) as other_rules,
            (select max(as_of_date) from {{ ref('int_as_of_date') }}) as as_of_date
        from {{ this }}
    {%- endset -%}
    {%- set state = run_query(query).rows[0] -%}
    {%- set reason = none -%}
    {%- if state['last_computed_at'] is none -%}
        {%- set reason = 'nothing computed yet' -%}
    {%- elif state['other_rules'] == 1 -%}
        {%- set reason = 'the rules (vars, vocabularies or raw source) changed' -%}
    {%- elif state['as_of_date'] < state['last_as_of_date'] -%}
        {%- set reason = 'the as-of date moved back' -%}
    {%- endif -%}
    {%- if reason is not none -%}
        {{ log("Incremental " ~ this.identifier ~ ": " ~ reason ~ "; recomputing every row.", info=not quiet) }}
        {{ return(everyone) }}
    {%- endif -%}
    {%- set since = state['last_computed_at'].strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {{ log("Incremental " ~ this.identifier ~ ": recomputing the " ~ unit ~ " with rows staged after " ~ since
        ~ " or activity after " ~ state['last_as_of_date'] ~ ".", info=not quiet) }}
    {%- set day = modules.datetime.timedelta(days=1) -%}
    {{ return({
        'everyone': false,
        'key': key,
        'unit': unit,
        'changes': changes,
        'since': since,
        'as_of_moved': state['as_of_date'] > state['last_as_of_date'],
        'active_from': (state['last_as_of_date'] + day).isoformat(),
        'active_before': (state['as_of_date'] + day).isoformat(),
    }) }}
{%- endmacro %}


{% macro staged_change_models(changes) -%}
    {#- The staged *_rows models whose rows a kind of changes reads. A model
        follows only what its rows depend on, so it waits for nothing else. -#}
    {%- set models = {
        'orders': ['stg_shop__order_rows', 'stg_shop__order_item_rows', 'stg_shop__return_rows'],
        'orders_and_customers': ['stg_shop__customer_rows', 'stg_shop__order_rows'],
        'customers': ['stg_shop__customer_rows', 'stg_shop__order_rows', 'stg_shop__return_rows'],
        'customers_and_lines': ['stg_shop__customer_rows', 'stg_shop__order_rows', 'stg_shop__order_item_rows',
            'stg_shop__return_rows'],
    } -%}
    {{ return(models[changes]) }}
{%- endmacro %}


{% macro staged_changes(changes) -%}
    {#- Every staged row version the model follows (superseded and rejected
        ones too: a new export moving an order to another customer changes
        both customers), with staged_at, the customer or order it names, and
        for orders and returns activity_at (ordered_at, requested_at). No
        join: a build filters on staged_at and activity_at first, which DuckDB
        prunes by zone maps, then looks up the customers of the few orders
        left (changed_keys). -#}
    {%- set branches = [] -%}
    {%- for model in staged_change_models(changes) -%}
        {%- set columns = {
            'stg_shop__customer_rows': ['customer_id', 'null', 'null', 'false'],
            'stg_shop__order_rows': ['customer_id', 'order_id', 'ordered_at', "row_disposition = 'clean'"],
            'stg_shop__order_item_rows': ['null', 'order_id', 'null', 'false'],
            'stg_shop__return_rows': ['null', 'order_id', 'requested_at', 'false'],
        }[model] -%}
        {%- set branch -%}
        select
            {{ 'cast(null as ' ~ dbt.type_string() ~ ')' if columns[0] == 'null' else columns[0] }} as customer_id,
            {{ 'cast(null as ' ~ dbt.type_string() ~ ')' if columns[1] == 'null' else columns[1] }} as order_id,
            staged_at,
            {{ 'cast(null as timestamp)' if columns[2] == 'null' else columns[2] }} as activity_at,
            {{ columns[3] }} as is_current_order
        from {{ ref(model) }}
        {%- endset -%}
        {%- do branches.append(branch) -%}
    {%- endfor -%}
    {{ return(branches | join('\n\n        union all\n\n        ')) }}
{%- endmacro %}


{% macro changes_since_last_build(scope) -%}
    {#- The followed rows staged since the model's last build, or active in
        the days the as-of date moved over. Two ranges joined by union all,
        not one `or`, so each prunes by zone maps. -#}
    select customer_id, order_id, is_current_order
    from ({{ staged_changes(scope.changes) }}) as staged
    where staged_at > cast('{{ scope.since }}' as timestamp)
    {%- if scope.as_of_moved %}

    union all

    select customer_id, order_id, is_current_order
    from ({{ staged_changes(scope.changes) }}) as staged
    where
        activity_at >= cast('{{ scope.active_from }}' as timestamp)
        and activity_at < cast('{{ scope.active_before }}' as timestamp)
    {%- endif %}
{%- endmacro %}


{% macro changed_keys(scope) -%}
    {#- The keys an incremental build recomputes: those of the changed rows,
        and those the current order rows pair with the rest of them (the
        customers of orders whose lines or returns changed; the orders of
        customers whose customer row changed, as an order is flagged when its
        customer is unknown). `changes` is a CTE, not a repeated subquery, so
        DuckDB sees how few rows it holds (DECISIONS.md, Incremental builds). -#}
    {%- set key = scope.key -%}
    {%- set other = {'customer_id': 'order_id', 'order_id': 'customer_id'}[key] -%}
    {%- set looks_up_other = key == 'customer_id' or scope.changes != 'orders' -%}
    with changes as (
        {{ changes_since_last_build(scope) }}
    )

    select {{ key }}
    from changes
    where {{ key }} is not null
    {%- if not looks_up_other %}
    group by {{ key }}
    {%- else %}

    union

    select {{ key }}
    from {{ ref('stg_shop__order_rows') }}
    where
        row_disposition = 'clean'
        and {{ other }} in (
            select {{ other }}
            from changes
            where {{ key }} is null
            {%- if key == 'customer_id' %}

            except

            select order_id
            from changes
            where is_current_order
            {%- endif %}
        )
    {%- endif %}
{%- endmacro %}


{% macro keys_to_refresh(scope) -%}
    {#- The body of the model's <unit>_to_refresh CTE (customers_to_refresh,
        orders_to_refresh): on an incremental build, the keys its pre-hook
        stored (keys_to_refresh_table); on a full build no key, unused
        (refreshed_only is then true). -#}
    {%- if scope.everyone -%}
    select cast(null as {{ dbt.type_string() }}) as {{ scope.key }}
    where 1 = 0
    {%- else -%}
    select {{ scope.key }}
    from {{ keys_to_refresh_table() }}
    {%- endif %}
{%- endmacro %}


{% macro keys_to_refresh_table() -%}
    {#- The temporary table (one per model and session) holding the keys this
        build of the model recomputes. -#}
    {{ return(this.identifier ~ '__keys_to_refresh') }}
{%- endmacro %}


{% macro refreshed_only(column, scope) -%}
    {#- A where condition keeping the rows of the keys this build recomputes
        (the model's <unit>_to_refresh CTE, see keys_to_refresh): every row on
        a full build. -#}
    {%- if scope.everyone -%}
        true
    {%- else -%}
        {{ column }} in (select {{ scope.key }} from {{ scope.unit }}_to_refresh)
    {%- endif -%}
{%- endmacro %}


{% macro refreshed_rows_hint(scope) -%}
    {#- Written between the name and the body of a CTE filtered with
        refreshed_only: materialized on an incremental build so the filter is
        planned alone (planned with the as-of date comparison after it, DuckDB
        hashed every order instead of the few keys: DECISIONS.md, Incremental
        builds); inlined on a full build. -#}
    {{ return('' if scope.everyone else materialized()) }}
{%- endmacro %}


{% macro refresh_pre_hook(scope) -%}
    {#- The pre-hook of an incremental intermediate model, from the scope the
        model computed at parse time (its key and changes view; both are
        literals in the model file), so the rows it deletes are always those
        the model recomputes: {{ config(pre_hook=refresh_pre_hook(scope)) }}. -#}
    {{ return("{{ delete_rows_to_refresh('" ~ scope.key ~ "', '" ~ scope.changes ~ "') }}") }}
{%- endmacro %}


{% macro delete_rows_to_refresh(key, changes) -%}
    {#- Pre-hook of an incremental intermediate model: store the keys this
        build recomputes (changed_keys, computed once) in a temporary table the
        model reads too, and delete their rows (every row when refresh_scope
        says everyone); the model then appends the new rows. Unlike
        delete+insert, this also drops a key left without rows (an order moved
        to another customer). -#}
    {%- if is_incremental() -%}
        {%- set scope = refresh_scope(key, changes, quiet=true) -%}
        {%- if scope.everyone -%}
        delete from {{ this }}
        {%- else -%}
        {{ adapter.dispatch('replace_temporary_table', 'risk_segmentation')(keys_to_refresh_table(), changed_keys(scope)) }};
        delete from {{ this }}
        where {{ key }} in (select {{ key }} from {{ keys_to_refresh_table() }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{% macro default__replace_temporary_table(name, sql) -%}
    {{ exceptions.raise_compiler_error(
        "Incremental intermediate models run on DuckDB and Postgres only, not on " ~ target.type ~ "."
    ) }}
{%- endmacro %}

{% macro duckdb__replace_temporary_table(name, sql) -%}
    create or replace temporary table {{ name }} as ({{ sql }})
{%- endmacro %}

{% macro postgres__replace_temporary_table(name, sql) -%}
    {#- pg_temp: never a table of the same name in a real schema. -#}
    drop table if exists pg_temp.{{ name }};
    create temporary table {{ name }} as ({{ sql }})
{%- endmacro %}


{% macro refresh_columns() -%}
    {#- The bookkeeping columns refresh_scope reads on the next build: when
        the row was computed, for which as-of date, under which rules. -#}
    {{ staged_at() }} as computed_at,
    (select max(as_of_date) from {{ ref('int_as_of_date') }}) as computed_as_of,
    '{{ rules_fingerprint() }}' as rules_fingerprint
{%- endmacro %}


{% macro rules_fingerprint() -%}
    {#- What the intermediate rows depend on besides the staged rows and the
        as-of date: the staging fingerprint and every var but as_of_date (vars
        no such model reads too, so a new rule cannot be forgotten here). -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [staging_fingerprint()] -%}
    {%- for name in var_rules().keys() | sort if name not in ['as_of_date'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(get_var(name))) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}
