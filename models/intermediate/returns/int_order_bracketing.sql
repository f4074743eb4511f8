-- Bracketing orders (docs/definitions.md §6): the counted orders
-- holding var bracketing_min_variants (3) variants of one product
-- (single-order), or 2+ variants of one product of which the customer
-- returned every variant but one (cross-order). Lines without a variant are
-- not variants. One row per bracketing order, not per order with a variant
-- line, which was the cost (DECISIONS.md, Performance). A function of one
-- order's lines, so incremental by order
-- (macros/incremental/incremental_builds.sql): a daily build groups the lines
-- of the changed orders only, and int_customer_return_patterns counts these
-- rows per customer. Grouped per customer from the lines, a daily build
-- regrouped every line of every changed customer (DECISIONS.md, Incremental
-- builds).
{%- set scope = refresh_scope('order_id', 'orders') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
orders_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

-- The lines with a variant; lines without one are not variants.
variant_lines as {{ not_materialized() }} (
    select * from {{ ref('stg_shop__order_items') }}
    where
        variant is not null
        and {{ refreshed_only('order_id', scope) }}
),

returned_lines as (
    select * from {{ ref('int_order_line_returns') }}
    where {{ refreshed_only('order_id', scope) }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
    where {{ refreshed_only('order_id', scope) }}
),

-- The products with two or more variant lines in the order: only they can
-- bracket (bracketing_min_variants is at least 2). A count per product finds
-- them; the variants are then grouped for these few lines only, not every
-- line (DECISIONS.md, Performance). Read twice, the lines are not stored.
multi_line_products as (
    select
        order_id,
        product_id
    from variant_lines
    group by order_id, product_id
    having count(*) > 1
),

-- One row per variant of those products; a variant is kept when any of its
-- lines was kept. Grouped once per variant, then counted per product, rather
-- than two count(distinct) (benchmarks/results.md, Tuning history).
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

order_products as (
    select
        order_id,
        product_id,
        count(*) as variants,
        sum(is_kept) as kept_variants
    from order_variants
    group by order_id, product_id
),

bracketing_products as (
    select
        order_id,
        case when variants >= {{ get_var('bracketing_min_variants') }} then 1 else 0 end as is_single,
        case when variants >= 2 and kept_variants = 1 then 1 else 0 end as is_cross
    from order_products
),

bracketing_orders as (
    select
        order_id,
        max(is_single) = 1 as is_single_order_bracketing,
        max(is_cross) = 1 as is_cross_order_bracketing
    from bracketing_products
    where is_single = 1 or is_cross = 1
    group by order_id
),

-- Counted orders only, with their customer: joined last, to the 2% of the
-- orders that bracket, not to every line.
final as (
    select
        counted_orders.customer_id,
        bracketing_orders.order_id,
        bracketing_orders.is_single_order_bracketing,
        bracketing_orders.is_cross_order_bracketing,
        {{ refresh_columns() }}
    from bracketing_orders
    inner join counted_orders
        on bracketing_orders.order_id = counted_orders.order_id
)

select * from final
