-- Clean returns of clean orders, typed; a null refund amount is 0.
with

return_rows as (
    select * from {{ ref('stg_shop__return_rows') }}
),

final as (
    select
        return_id,
        order_id,
        line_number,
        requested_at,
        refund_amount,
        reason,
        is_tracking_confirmed,
        return_status
    from return_rows
    where row_disposition = 'clean'
)

select * from final
