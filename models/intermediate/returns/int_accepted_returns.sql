-- The returns that count (docs/definitions.md §6): returns of counted orders, not
-- rejected, requested on or before the as-of date. One row per return; a
-- return without a line number is a return of the whole order. Each return
-- carries what the return patterns read: the value returned, whether it came
-- within var quick_return_hours of delivery, whether tracking was explicitly
-- not confirmed, and whether its reason is missing or vague; and its order's
-- total, so the customer return metrics need not read every counted order.
-- A table, built once for its four readers (DECISIONS.md, Incremental builds).

with

returns as (
    select * from {{ ref('stg_shop__returns') }}
),

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

vague_return_reasons as (
    select * from {{ ref('vague_return_reasons') }}
),

-- Each distinct reason is looked up once, not once per return.
reasons as (
    select
        reason,
        {{ vocabulary_key('reason') }} as spelling
    from returns
    where reason is not null
    group by reason
),

vague_reasons as (
    select reasons.reason
    from reasons
    inner join vague_return_reasons
        on reasons.spelling = vague_return_reasons.spelling
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

        -- return
        returns.return_status,
        returns.refund_amount,
        returns.reason,
        returns.is_tracking_confirmed,
        returns.line_number is null as is_whole_order_return,
        counted_orders.order_total,

        -- What was returned: the line, or the whole order; a line missing
        -- from the clean order lines is worth its refund.
        cast(
            case
                when returns.line_number is null then counted_orders.order_total
                else coalesce(order_items.line_total, returns.refund_amount)
            end as decimal(18, 4)
        ) as returned_value,

        -- patterns
        coalesce(
            returns.requested_at >= counted_orders.delivered_at
            and returns.requested_at
            <= {{ add_hours('counted_orders.delivered_at', var('quick_return_hours')) }},
            false
        ) as is_quick_return,
        coalesce(not returns.is_tracking_confirmed, false) as is_untracked,
        returns.reason is null or vague_reasons.reason is not null as has_vague_reason
    from returns
    inner join counted_orders
        on returns.order_id = counted_orders.order_id
    left join order_items
        on
            returns.order_id = order_items.order_id
            and returns.line_number = order_items.line_number
    left join vague_reasons
        on returns.reason = vague_reasons.reason
    cross join as_of
    where
        returns.return_status != 'rejected'
        and cast(returns.requested_at as date) <= as_of.as_of_date
)

select * from final
