-- Clean order lines of clean orders, typed.
with

order_item_rows as (
    select * from {{ ref('stg_shop__order_item_rows') }}
),

final as (
    select
        order_id,
        line_number,
        product_id,
        category,
        variant,
        quantity,
        unit_price,
        quantity * unit_price as line_total
    from order_item_rows
    where row_disposition = 'clean'
)

select * from final
