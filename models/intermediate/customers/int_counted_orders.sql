-- The orders that count (docs/definitions.md §2): a status in var
-- counted_order_statuses, ordered on or before the as-of date, flagged when
-- the customer export does not know the ordering customer (kept: the order
-- still happened). Every metric downstream reads orders through this model.
-- Incremental by order (macros/incremental/incremental_builds.sql): an
-- order's row changes with its own rows or its customer's, never with a
-- return, so the model does not wait for the returns to be staged.
{%- set scope = refresh_scope('order_id', 'orders_and_customers') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}
{#- The customer is looked up with `not in` (a hash on the customers): with
    a left join, DuckDB misjudged the orders left by the as-of filter and
    hashed every order instead (DECISIONS.md, Performance). Postgres runs
    `not in` row by row once the customers outgrow work_mem, so it keeps the
    join. Both ids are never null (staging tests). -#}
{%- set lookup_by_join = target.type == 'postgres' %}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
orders_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

orders as {{ refreshed_rows_hint(scope) }} (
    select * from {{ ref('stg_shop__orders') }}
    where {{ refreshed_only('order_id', scope) }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.order_date,
        orders.delivered_at,
        orders.order_status,
        orders.order_total,
        {% if lookup_by_join -%}
            customers.customer_id is null
        {%- else -%}
            orders.customer_id not in (select customers.customer_id from customers)
        {%- endif %} as is_orphan_customer,
        {{ refresh_columns() }}
    from orders
    cross join as_of
    {%- if lookup_by_join %}
    left join customers
        on orders.customer_id = customers.customer_id
    {%- endif %}
    where
        orders.order_status in {{ sql_list(get_var('counted_order_statuses')) }}
        and orders.order_date <= as_of.as_of_date
)

select * from final
