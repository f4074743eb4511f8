-- Every order id a staged order row names, as of the as-of date (docs/definitions.md
-- §2): its clean version, whether it counts (a status in var
-- counted_order_statuses, ordered on or before the as-of date) and whether
-- the customer export knows its customer. An order without a clean version
-- keeps a row that does not count, so an incremental build always has a row
-- to replace. int_counted_orders shows the orders that count. Incremental by
-- order: a daily build recomputes the orders orders_to_refresh finds
-- (macros/incremental/incremental_builds.sql).
-- depends_on: {{ ref('int_customer_changes') }}
{#- The customer is looked up with `not in` (a hash on the customers): with
    a left join, DuckDB misjudged the orders left by the as-of filter and
    hashed every order instead (DECISIONS.md, Performance). Postgres runs
    `not in` row by row once the customers outgrow work_mem, so it keeps the
    join. Both ids are never null (staging tests). -#}
{%- set lookup_by_join = target.type == 'postgres' %}

with

{% if is_incremental() -%}
orders_to_refresh as {{ materialized() }} (
    {{ keys_to_refresh(
        'order_id', ref('int_customer_changes'), ref('int_as_of_date'), orders=ref('stg_shop__orders'),
        staged=['order', 'customer'], active=['order'], held=['order']
    ) }}
),

{% endif -%}
-- An incremental build's keys are the orders it recomputes: an order no
-- order row names any more gets a row that does not count.
order_keys as (
    {% if is_incremental() %}
        select order_id from orders_to_refresh
        where order_id is not null
    {% else %}
        select distinct order_id
        from {{ ref('int_customer_changes') }}
        where change_kind = 'order' and order_id is not null
    {% endif %}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
    {%- if is_incremental() %}
    where order_id in (select order_id from orders_to_refresh)
    {%- endif %}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        -- ids
        order_keys.order_id,
        orders.customer_id,

        -- dates
        orders.ordered_at,
        orders.order_date,
        orders.delivered_at,

        -- status and money
        orders.order_status,
        orders.order_total,

        -- flags
        coalesce(
            orders.order_status in {{ sql_list(var('counted_order_statuses')) }}
            and orders.order_date <= as_of.as_of_date,
            false
        ) as is_counted,
        -- Null without a clean version (engines differ on null not in).
        case
            when orders.order_id is not null
                then
                    {% if lookup_by_join -%}
                        customers.customer_id is null
                    {%- else -%}
                        orders.customer_id not in (select customers.customer_id from customers)
                    {%- endif %}
        end as is_orphan_customer,

        {{ refresh_columns(ref('int_as_of_date')) }}
    from order_keys
    left join orders
        on order_keys.order_id = orders.order_id
    cross join as_of
    {%- if lookup_by_join %}
    left join customers
        on orders.customer_id = customers.customer_id
    {%- endif %}
)

select * from final
