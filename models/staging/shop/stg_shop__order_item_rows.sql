-- Every raw order line, parsed, with what became of it: clean, duplicate (the
-- same order and line number exported again) or rejected (with the reason).
-- A table, unlike the other staging models: the raw rows are parsed once here,
-- then read by the clean model, the rejected-rows model and the tests.
{{ config(materialized='table') }}

with

raw_order_items as (
    select * from {{ ref('base_shop__order_items') }}
),

-- The surviving version of each raw order, clean or rejected: a line's order
-- may be unknown, or known but rejected.
order_versions as (
    select
        order_id,
        row_disposition as order_disposition
    from {{ ref('stg_shop__order_rows') }}
    where order_id is not null and version_rank = 1
),

parsed as (
    select
        -- raw values, for the rejected-rows model
        order_id as raw_order_id,
        line_number as raw_line_number,
        product_id as raw_product_id,
        category as raw_category,
        variant as raw_variant,
        quantity as raw_quantity,
        unit_price as raw_unit_price,

        -- clean values
        {{ clean_text('order_id') }} as order_id,
        {{ parse_integer('line_number') }} as line_number,
        {{ clean_text('product_id') }} as product_id,
        lower({{ clean_text('category') }}) as category,
        {{ clean_text('variant') }} as variant,
        {{ parse_integer('quantity') }} as quantity,
        {{ parse_decimal('unit_price') }} as unit_price,
        {{ row_fingerprint([
            'order_id', 'line_number', 'product_id', 'category', 'variant', 'quantity', 'unit_price',
        ]) }} as row_fingerprint
    from raw_order_items
),

versions as (
    select
        parsed.*,
        order_versions.order_disposition,
        -- A line exported twice: keep one, by fingerprint.
        row_number() over (
            partition by parsed.order_id, parsed.line_number
            order by parsed.row_fingerprint desc
        ) as version_rank
    from parsed
    left join order_versions
        on parsed.order_id = order_versions.order_id
),

classified as (
    select
        *,
        -- One reason per row: the first rule it breaks, in this order.
        case
            when order_id is null then 'missing_order_id'
            when {{ clean_text('raw_line_number') }} is null then 'missing_line_number'
            when line_number is null then 'invalid_line_number'
            when version_rank > 1 then null
            when order_disposition is null then 'unknown_order'
            when order_disposition = 'rejected' then 'order_rejected'
            when product_id is null then 'missing_product_id'
            when quantity is null then 'invalid_quantity'
            when quantity <= 0 then 'non_positive_quantity'
            when unit_price is null then 'invalid_unit_price'
            when unit_price < 0 then 'negative_unit_price'
        end as rejection_reason
    from versions
),

final as (
    select
        raw_order_id,
        raw_line_number,
        raw_product_id,
        raw_category,
        raw_variant,
        raw_quantity,
        raw_unit_price,
        order_id,
        line_number,
        product_id,
        category,
        variant,
        quantity,
        unit_price,
        version_rank,
        rejection_reason,
        {{ row_disposition() }} as row_disposition
    from classified
)

select * from final
