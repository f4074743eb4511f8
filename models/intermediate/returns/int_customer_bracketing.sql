-- Bracketing (spec section 6, reference 002): ordering several sizes or
-- colours of one product to keep one and return the rest. A customer is a
-- bracketer after one single-order bracketing order, or after var
-- bracketing_min_orders (2) cross-order bracketing orders (per order:
-- int_order_bracketing). One row per customer with a bracketing order;
-- int_customer_return_patterns reads a customer without one as no bracketer.
-- Incremental by customer (macros/incremental/rows_to_refresh.sql).
{%- set scope = refresh_scope('customer_id', 'int_customer_changes_with_lines') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
customers_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

bracketing_orders as (
    select * from {{ ref('int_order_bracketing') }}
    where {{ refreshed_only('customer_id', scope) }}
),

customer_bracketing as (
    select
        customer_id,
        sum(case when is_single_order_bracketing then 1 else 0 end) as single_order_bracketing_orders,
        sum(case when is_cross_order_bracketing then 1 else 0 end) as cross_order_bracketing_orders
    from bracketing_orders
    group by customer_id
),

final as (
    select
        customer_id,
        cast(single_order_bracketing_orders as integer) as single_order_bracketing_orders,
        cast(cross_order_bracketing_orders as integer) as cross_order_bracketing_orders,
        single_order_bracketing_orders >= 1
        or cross_order_bracketing_orders >= {{ get_var('bracketing_min_orders') }} as is_bracketer,
        {{ refresh_columns() }}
    from customer_bracketing
)

select * from final
