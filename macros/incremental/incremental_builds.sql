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

    2. Refreshing by key (the per-customer intermediate models, delete+insert
       on customer_id; int_orders and int_returns on their row's key). Each
       holds one row for every key ever staged (readers keep the rows they
       mean), so a key recomputed always has a row that replaces the old one.
       An incremental build recomputes the keys keys_to_refresh finds, in
       SQL, from when, for which as-of date and under which rules the model's
       rows were computed (refresh_columns, last_build). What depends on the
       whole population or on the as-of date itself (percentiles, scores,
       recency) is computed in full from the per-customer tables.
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
        raw_data_mode(), var('raw_data_dir') or '', var('raw_schema') or '',
        var('raw_csv_delimiter') if raw_data_mode() == 'files' else '',
        var('raw_load_column') or '',
        var('customer_age_min'), var('customer_age_max'),
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

{% macro keys_to_refresh(
    key, changes, as_of_date, orders=none,
    staged=['customer', 'order', 'order_item', 'return'], active=['order', 'return'], held=['customer', 'order']
) -%}
    {#- The body of an incremental intermediate model's *_to_refresh CTE: the
        keys (`key`: customer_id or order_id) whose rows this build
        recomputes, found in SQL from the staged changes (int_customer_changes)
        and the bookkeeping columns on the model's own rows (refresh_columns).
        The kinds of change (customer, order, order_item, return) that concern
        the model are named by the model (the defaults: a per-customer model):
        - every key `held` rows name, when the model holds no row yet, the
          rules changed or the as-of date moved back;
        - else the keys of the `staged` rows staged after the model's last
          build (a key is restaged with every version, so an order moved to
          another customer names both), and of the `active` rows (an order's
          time, a return's request) in the days the as-of date moved over; a
          row without the key is looked up in `orders` (stg_shop__orders), if
          given, by its other id: a line's customer is its order's, a
          customer's orders are its own;
        - and the keys the model holds that no `held` row names any more (a
          table without load batches, staged again in full, lost them).
        The model passes the relations it refs, so its dependencies stay in
        its own file. The changed rows are found first, by filters each staged
        table's scan applies, and only their orders are looked up. -#}
    {%- set other = 'order_id' if key == 'customer_id' else 'customer_id' -%}
    {%- set since = '(select computed_at from last_build)' -%}
    {%- set held_rows = "change_kind in ('" ~ held | join("', '") ~ "')" -%}
    {%- set restaged_in_full -%}
        exists (select 1 from {{ changes }} where {{ held_rows }} and load_id is null and staged_at > {{ since }})
    {%- endset -%}
    with last_build as (
        {{ last_build(as_of_date) }}
    ),

    changed_rows as {{ materialized() }} (
        select customer_id, order_id from {{ changes }}
        where change_kind in ('{{ staged | join("', '") }}') and staged_at > {{ since }}
        union all
        select customer_id, order_id from {{ changes }}
        where
            change_kind in ('{{ active | join("', '") }}')
            and active_at >= (select active_from from last_build)
            and active_at < (select active_before from last_build)
    )

    select {{ key }} from changed_rows where {{ key }} is not null
    union
    {%- if orders is not none %}
    select orders.{{ key }}
    from {{ orders }} as orders
    inner join (select distinct {{ other }} from changed_rows where {{ key }} is null) as changed
        on orders.{{ other }} = changed.{{ other }}
    union
    {%- endif %}
    select {{ key }} from {{ changes }} where {{ held_rows }} and (select everyone from last_build)
    union
    (
        select {{ key }} from {{ this }} where {{ restaged_in_full }}
        except
        select {{ key }} from {{ changes }} where {{ held_rows }} and {{ restaged_in_full }}
    )
{%- endmacro %}


{% macro last_build(as_of_date) -%}
    {#- One row on this incremental model's last build, from its bookkeeping
        columns (refresh_columns): when it computed (computed_at), whether
        this build recomputes every row (`everyone`: no row yet, other rules,
        or an earlier as-of date), and the days the as-of date moved over
        ([active_from, active_before)). -#}
    select
        max(this_model.computed_at) as computed_at,
        count(*) = 0
        or max(case when this_model.rules_fingerprint = '{{ rules_fingerprint() }}' then 0 else 1 end) = 1
        or max(this_build.as_of_date) < max(this_model.computed_as_of) as everyone,
        {{ add_days('max(this_model.computed_as_of)', 1) }} as active_from,
        {{ add_days('max(this_build.as_of_date)', 1) }} as active_before
    from {{ this }} as this_model
    cross join {{ as_of_date }} as this_build
{%- endmacro %}


{% macro refresh_columns(as_of) -%}
    {#- The bookkeeping columns keys_to_refresh reads on the next build:
        when the row was computed, for which as-of date (from the model's
        `as_of` CTE, named here), under which rules. -#}
    {{ staged_at() }} as computed_at,
    (select max(as_of_date) from {{ as_of }}) as computed_as_of,
    '{{ rules_fingerprint() }}' as rules_fingerprint
{%- endmacro %}


{% macro rules_fingerprint() -%}
    {#- What the intermediate rows depend on besides the staged rows and the
        as-of date: the staging fingerprint, every var but as_of_date (vars
        no such model reads too, so a new rule cannot be forgotten here) and
        every seed of the project's own. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [staging_fingerprint()] -%}
    {%- for name in var_rules().keys() | sort if name not in ['as_of_date'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(var(name))) -%}
    {%- endfor -%}
    {#- Every seed of its own but the sample's: the repurchase evaluation reads the segment map. -#}
    {%- for node in graph.get('nodes', {}).values() | sort(attribute='unique_id')
        if node.resource_type == 'seed' and node.package_name == 'risk_segmentation'
        and not node.original_file_path.startswith('seeds/sample/') -%}
        {%- do parts.append(node.name ~ ':' ~ node.checksum.checksum) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}
