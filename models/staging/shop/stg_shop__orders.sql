-- Clean orders: the latest export of each, typed. Whether the customer
-- export knows the ordering customer is int_counted_orders' concern: a join
-- here would run again for every reader and every test of this view.
with

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

final as (
    select
        -- ids
        order_id,
        customer_id,

        -- dates
        ordered_at,
        cast(ordered_at as date) as order_date,
        delivered_at,
        updated_at,

        -- status and money
        order_status,
        order_total,
        currency
    from order_rows
    where row_disposition = 'clean'
)

select * from final
