-- The returns that count (docs/definitions.md §6): returns of counted orders, not
-- rejected, requested on or before the as-of date, with what the return
-- patterns read. A view of int_returns, which holds every return and decides
-- which count.
{{ config(materialized='view') }}

with

returns as (
    select * from {{ ref('int_returns') }}
),

final as (
    select
        return_id,
        order_id,
        customer_id,
        line_number,
        requested_at,
        requested_date,
        ordered_at,
        delivered_at,
        return_status,
        refund_amount,
        reason,
        is_tracking_confirmed,
        is_whole_order_return,
        order_total,
        returned_value,
        is_quick_return,
        is_untracked,
        has_vague_reason
    from returns
    where is_accepted
)

select * from final
