-- Each customer's returned lines (docs/definitions.md §6): the categories
-- returned, and the bracketing orders (single-order: var bracketing_min_variants
-- variants of one product; cross-order: 2+ variants of one product, all
-- returned but one). One row per customer of int_customer_order_history.
-- Incremental by customer (macros/incremental/incremental_builds.sql).
-- depends_on: {{ ref('int_customer_changes') }}, {{ ref('stg_shop__orders') }}

with

{% if is_incremental() -%}
customers_to_refresh as {{ materialized() }} (
    {{ keys_to_refresh(
        'customer_id', ref('int_customer_changes'), ref('int_as_of_date'), orders=ref('stg_shop__orders')
    ) }}
),

{% endif -%}
customers as (
    select customer_id from {{ ref('int_customer_order_history') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

counted_orders as (
    select
        order_id,
        customer_id
    from {{ ref('int_counted_orders') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

order_items as {{ not_materialized() }} (
    select * from {{ ref('stg_shop__order_items') }}
    {%- if is_incremental() %}
    where order_id in (select order_id from counted_orders)
    {%- endif %}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

returned_lines as (
    select distinct
        order_items.order_id,
        order_items.line_number,
        accepted_returns.customer_id,
        order_items.category
    from order_items
    inner join accepted_returns
        on
            order_items.order_id = accepted_returns.order_id
            and (accepted_returns.is_whole_order_return or order_items.line_number = accepted_returns.line_number)
),

-- Only a product with 2+ variant lines in an order can bracket: found by a count, then grouped.
variant_lines as {{ not_materialized() }} (
    select * from order_items
    where variant is not null
),

multi_line_products as (
    select
        order_id,
        product_id
    from variant_lines
    group by order_id, product_id
    having count(*) > 1
),

-- A variant is kept when any of its lines was kept.
order_variants as (
    select
        variant_lines.order_id,
        variant_lines.product_id,
        variant_lines.variant,
        max(case when returned_lines.order_id is null then 1 else 0 end) as is_kept
    from variant_lines
    inner join multi_line_products
        on
            variant_lines.order_id = multi_line_products.order_id
            and variant_lines.product_id = multi_line_products.product_id
    left join returned_lines
        on
            variant_lines.order_id = returned_lines.order_id
            and variant_lines.line_number = returned_lines.line_number
    group by variant_lines.order_id, variant_lines.product_id, variant_lines.variant
),

bracketing_orders as (
    select
        order_id,
        max(case when variants >= {{ var('bracketing_min_variants') }} then 1 else 0 end) as is_single,
        max(case when variants >= 2 and kept_variants = 1 then 1 else 0 end) as is_cross
    from (
        select
            order_id,
            product_id,
            count(*) as variants,
            sum(is_kept) as kept_variants
        from order_variants
        group by order_id, product_id
    ) as order_products
    group by order_id
),

-- Counted orders only, joined last: to the few bracketing orders, not to every line.
customer_bracketing as (
    select
        counted_orders.customer_id,
        sum(bracketing_orders.is_single) as single_bracketing_orders,
        sum(bracketing_orders.is_cross) as cross_bracketing_orders
    from bracketing_orders
    inner join counted_orders
        on bracketing_orders.order_id = counted_orders.order_id
    group by counted_orders.customer_id
),

customer_categories as (
    select
        customer_id,
        count(distinct category) as returned_categories
    from returned_lines
    group by customer_id
),

final as (
    select
        customers.customer_id,
        cast(coalesce(customer_categories.returned_categories, 0) as integer) as returned_categories,
        cast(coalesce(customer_bracketing.single_bracketing_orders, 0) as integer) as single_bracketing_orders,
        cast(coalesce(customer_bracketing.cross_bracketing_orders, 0) as integer) as cross_bracketing_orders,
        {{ refresh_columns(ref('int_as_of_date')) }}
    from customers
    left join customer_categories
        on customers.customer_id = customer_categories.customer_id
    left join customer_bracketing
        on customers.customer_id = customer_bracketing.customer_id
)

select * from final
