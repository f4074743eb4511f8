-- Every raw row staging could not use, from all four tables, with the reason
-- and the raw values needed to investigate. Duplicates are not rejections:
-- they are older versions of rows that were kept (see the *_rows models).
-- load_id: the load file (or warehouse load) the row arrived in, null when the
-- table is not batched. file_line_number: the line of the raw CSV file an
-- unreadable record starts on (null for every row read into fields).
-- physical_lines: the lines of the raw CSV file the row spans (more than 1 for
-- a quoted value holding line breaks; null outside CSV files).
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

final as (
    select
        'customers' as source_table,
        raw_key,
        rejection_reason,
        load_id,
        file_line_number,
        physical_lines,
        raw_values
    from customer_rows
    where row_disposition = 'rejected'

    union all

    select
        'orders' as source_table,
        raw_key,
        rejection_reason,
        load_id,
        file_line_number,
        physical_lines,
        raw_values
    from order_rows
    where row_disposition = 'rejected'

    union all

    select
        'order_items' as source_table,
        raw_key,
        rejection_reason,
        load_id,
        file_line_number,
        physical_lines,
        raw_values
    from order_item_rows
    where row_disposition = 'rejected'

    union all

    select
        'returns' as source_table,
        raw_key,
        rejection_reason,
        load_id,
        file_line_number,
        physical_lines,
        raw_values
    from return_rows
    where row_disposition = 'rejected'
)

select * from final
