{#- Incremental intermediate models (README "Daily builds"). The row-level
    models (int_counted_orders, int_accepted_returns, int_order_line_returns,
    int_order_bracketing) keep their rows per order; the per-customer
    aggregates keep theirs per customer. A daily build recomputes only the
    orders, or the customers, whose raw rows were staged since the model's
    last build or who ordered or asked for a return in the days the as-of
    date moved over, and replaces their rows. Whatever depends on the whole
    population or on the as-of date itself (percentiles, scores, recency,
    tenure, decay) is recomputed in full from the small per-customer tables.
    Config: dbt_project.yml (&refreshed), and in each model its
    refresh_scope and refresh_pre_hook. The changes are read straight from
    the staged rows (staged_changes): no model of their own sits between
    staging and the models that follow them. -#}

{% macro refresh_scope(key, changes, quiet=false) -%}
    {#- What this build of an incremental intermediate model recomputes: every
        row (full builds, a first build, rules changed since the last build, an
        as-of date earlier than the last one), or the customers (or orders)
        that changed since its last build. Read from the bookkeeping columns the
        model stores on each row (refresh_columns). `key` is the model's key,
        customer_id or order_id (its unit: customers or orders); `changes` the
        staged rows whose changes it follows (see staged_changes): 'customers'
        (customers, orders, returns), 'customers_and_lines' for a model that
        reads order lines, or 'orders' (orders, lines, returns) for a model
        keyed by order that reads no customer row. A model reading no lines
        then never waits for the lines to be staged. The model's pre-hook
        (refresh_pre_hook) asks again, quietly: the model already said what it
        recomputes. -#}
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
    {#- The staged *_rows models whose rows a kind of changes reads. -#}
    {%- set models = {
        'orders': ['stg_shop__order_rows', 'stg_shop__order_item_rows', 'stg_shop__return_rows'],
        'customers': ['stg_shop__customer_rows', 'stg_shop__order_rows', 'stg_shop__return_rows'],
        'customers_and_lines': ['stg_shop__customer_rows', 'stg_shop__order_rows', 'stg_shop__order_item_rows',
            'stg_shop__return_rows'],
    } -%}
    {{ return(models[changes]) }}
{%- endmacro %}


{% macro staged_changes(changes) -%}
    {#- When each staged row was staged (staged_at) and, for orders and
        returns, when the customer ordered or asked for a return
        (activity_at), with the customer and order it names: the rows whose
        changes an incremental model follows (`changes`, see
        staged_change_models). Every version of a row counts, superseded and
        rejected ones too: a new export of an order that moves it to another
        customer changes both customers. Lines and returns carry their order;
        the order's current (clean) row names its customer (is_current_order;
        see changed_keys). No join here: a build filters these rows on
        staged_at and on activity_at first (plain column ranges, which DuckDB
        pushes into each branch and prunes by zone maps), and only then looks
        up the customers of the few orders left. -#}
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
    {#- The staged rows the model follows (staged_changes: customer_id,
        order_id, is_current_order) staged since the model's last build, or
        dated in the days the as-of date moved over (see refresh_scope): after
        the last build's as-of date, up to this one's. Two plain ranges on
        stored columns rather than one condition with an `or`, so each prunes
        by zone maps and reads only the newest rows of the large staged
        tables. -#}
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
    {#- The keys (scope.key: customer ids or order ids) an incremental build
        recomputes (see refresh_scope): the keys of the rows that changed
        (changes_since_last_build), and the keys the current order rows pair
        with the other key of the rest of those rows. For customers: the
        customers of the orders whose lines or returns changed; an order whose
        current row is among the changes already named its customer, so only
        the others are looked up. For orders: the orders of the customers
        whose customer rows changed (an order is flagged when its customer is
        unknown), unless the changes hold no customer rows ('orders'): then no
        current order row is read. Every row of a model keyed so
        depends on nothing outside its key but the as-of date and the rules.
        The changes are a CTE, read two or three times, so the engine knows
        how few they are: as a subquery repeated inline, DuckDB built its
        hash table on the 50M current order rows instead (at L 4-5 s against
        0.5-1.5 s, same keys). Run once per build, by the model's pre-hook
        (delete_rows_to_refresh). -#}
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
    {#- Written between the name and the body of a CTE that keeps an upstream
        model's rows with refreshed_only: on an incremental build the CTE is
        materialized, so the filter to the changed keys is planned on its own.
        Planned together with the as-of date comparison that follows it, DuckDB
        estimated the rows after that comparison at a few dozen and built its
        hash table on all 47M orders instead of the 1M keys
        (int_counted_orders at L: 11.3 s against 1.8 s). Inlined on a full
        build, which reads every row. -#}
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
    {#- Pre-hook of the incremental intermediate models, keyed on customer_id
        or order_id: store the keys of the customers (or orders) this build
        recomputes (changed_keys) in a temporary table, which the model reads
        too, so they are computed once (each computation reads every current
        order row), then drop their rows; all rows when refresh_scope says
        everyone. The model then appends their new rows. A key left without
        rows (an order moved to another customer, an order no longer counted)
        is dropped too: delete+insert on the key would keep its old rows. -#}
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
    {#- What the incremental intermediate rows depend on besides the staged
        rows and the as-of date: the staging fingerprint (raw source, staging
        vars, vocabularies) and every var but as_of_date (its movement is
        handled by refresh_scope). A change
        recomputes every customer; vars that no such model reads are included
        too, so a new rule can never be forgotten here. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set parts = [staging_fingerprint()] -%}
    {%- for name in var_rules().keys() | sort if name not in ['as_of_date'] -%}
        {%- do parts.append(name ~ '=' ~ tojson(get_var(name))) -%}
    {%- endfor -%}
    {{ return(local_md5(parts | join('|'))) }}
{%- endmacro %}
