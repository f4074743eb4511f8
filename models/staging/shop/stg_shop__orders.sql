-- Clean orders: the latest export of each, typed, flagged when the customer
-- export does not know the ordering customer (kept: the order still happened).
with

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
),

final as (
    select
        -- ids
        order_rows.order_id,
        order_rows.customer_id,

        -- dates
        order_rows.ordered_at,
        cast(order_rows.ordered_at as date) as order_date,
        order_rows.delivered_at,
        order_rows.updated_at,

        -- status and money
        order_rows.order_status,
        order_rows.order_total,
        order_rows.currency,

        -- flags
        customers.customer_id is null as is_orphan_customer
    from order_rows
    left join customers
        on order_rows.customer_id = customers.customer_id
    where order_rows.row_disposition = 'clean'
)

select * from final
