-- Every raw row staging could not use, from all four tables, with the reason
-- and the raw values needed to investigate. Duplicates are not rejections:
-- they are older versions of rows that were kept (see the *_rows models).
with

customer_rows as (
    select * from {{ ref('stg_shop__customer_rows') }}
),

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

order_item_rows as (
    select * from {{ ref('stg_shop__order_item_rows') }}
),

return_rows as (
    select * from {{ ref('stg_shop__return_rows') }}
),

rejected_customers as (
    select
        'customers' as source_table,
        raw_customer_id as raw_key,
        rejection_reason,
        {{ raw_values_text([
            'customer_id', 'email', 'full_name', 'age', 'gender', 'location', 'created_at', 'updated_at',
        ]) }} as raw_values
    from customer_rows
    where row_disposition = 'rejected'
),

rejected_orders as (
    select
        'orders' as source_table,
        raw_order_id as raw_key,
        rejection_reason,
        {{ raw_values_text([
            'order_id', 'customer_id', 'ordered_at', 'status', 'order_total', 'currency', 'delivered_at', 'updated_at',
        ]) }} as raw_values
    from order_rows
    where row_disposition = 'rejected'
),

rejected_order_items as (
    select
        'order_items' as source_table,
        coalesce(raw_order_id, '<null>') || ':' || coalesce(raw_line_number, '<null>') as raw_key,
        rejection_reason,
        {{ raw_values_text([
            'order_id', 'line_number', 'product_id', 'category', 'variant', 'quantity', 'unit_price',
        ]) }} as raw_values
    from order_item_rows
    where row_disposition = 'rejected'
),

rejected_returns as (
    select
        'returns' as source_table,
        raw_return_id as raw_key,
        rejection_reason,
        {{ raw_values_text([
            'return_id', 'order_id', 'line_number', 'requested_at', 'refund_amount', 'reason',
            'tracking_confirmed', 'status',
        ]) }} as raw_values
    from return_rows
    where row_disposition = 'rejected'
),

final as (
    select * from rejected_customers
    union all
    select * from rejected_orders
    union all
    select * from rejected_order_items
    union all
    select * from rejected_returns
)

select * from final
