-- The returns that count (spec section 6): returns of counted orders, not
-- rejected, requested on or before the as-of date. One row per return; a
-- return without a line number is a return of the whole order.
with

returns as (
    select * from {{ ref('stg_shop__returns') }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
),

final as (
    select
        -- ids
        returns.return_id,
        returns.order_id,
        counted_orders.customer_id,
        returns.line_number,

        -- dates
        returns.requested_at,
        cast(returns.requested_at as date) as requested_date,
        counted_orders.ordered_at,
        counted_orders.delivered_at,
        counted_orders.as_of_date,

        -- return
        returns.return_status,
        returns.refund_amount,
        returns.reason,
        returns.is_tracking_confirmed,
        returns.line_number is null as is_whole_order_return
    from returns
    inner join counted_orders
        on returns.order_id = counted_orders.order_id
    where
        returns.return_status != 'rejected'
        and cast(returns.requested_at as date) <= counted_orders.as_of_date
)

select * from final
