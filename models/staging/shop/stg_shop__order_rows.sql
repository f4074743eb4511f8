-- Every raw order row, parsed, with what became of it: clean, duplicate (an
-- older export of an order) or rejected (with the reason).
-- A table, unlike the other staging models: the raw rows are parsed once here,
-- then read by the clean model, the rejected-rows model and the tests.
{{ config(materialized='table') }}

with

raw_orders as (
    select * from {{ ref('base_shop__orders') }}
),

order_status_synonyms as (
    select * from {{ ref('order_status_synonyms') }}
),

parsed as (
    select
        -- raw values, for the rejected-rows model
        raw_orders.order_id as raw_order_id,
        raw_orders.customer_id as raw_customer_id,
        raw_orders.ordered_at as raw_ordered_at,
        raw_orders.status as raw_status,
        raw_orders.order_total as raw_order_total,
        raw_orders.currency as raw_currency,
        raw_orders.delivered_at as raw_delivered_at,
        raw_orders.updated_at as raw_updated_at,

        -- clean values
        {{ clean_text('raw_orders.order_id') }} as order_id,
        {{ clean_text('raw_orders.customer_id') }} as customer_id,
        {{ parse_timestamp('raw_orders.ordered_at') }} as ordered_at,
        order_status_synonyms.order_status,
        {{ parse_decimal('raw_orders.order_total') }} as order_total,
        upper({{ clean_text('raw_orders.currency') }}) as currency,
        {{ parse_timestamp('raw_orders.delivered_at') }} as delivered_at,
        {{ parse_timestamp('raw_orders.updated_at') }} as updated_at,
        {{ row_fingerprint([
            'raw_orders.order_id', 'raw_orders.customer_id', 'raw_orders.ordered_at', 'raw_orders.status',
            'raw_orders.order_total', 'raw_orders.currency', 'raw_orders.delivered_at', 'raw_orders.updated_at',
        ]) }} as row_fingerprint
    from raw_orders
    left join order_status_synonyms
        on {{ vocabulary_key('raw_orders.status') }} = order_status_synonyms.spelling
),

versions as (
    select
        *,
        -- The latest export of an order wins; ties go to the higher fingerprint.
        row_number() over (
            partition by order_id
            order by updated_at desc nulls last, row_fingerprint desc
        ) as version_rank
    from parsed
),

classified as (
    select
        *,
        -- One reason per row: the first rule it breaks, in this order.
        case
            when order_id is null then 'missing_order_id'
            when version_rank > 1 then null
            when customer_id is null then 'missing_customer_id'
            when {{ clean_text('raw_ordered_at') }} is null then 'missing_ordered_at'
            when ordered_at is null then 'unparseable_ordered_at'
            when {{ clean_text('raw_status') }} is null then 'missing_status'
            when order_status is null then 'unknown_status'
            when {{ clean_text('raw_order_total') }} is null then 'missing_order_total'
            when order_total is null then 'non_numeric_order_total'
            when order_total < 0 then 'negative_order_total'
        end as rejection_reason
    from versions
),

final as (
    select
        raw_order_id,
        raw_customer_id,
        raw_ordered_at,
        raw_status,
        raw_order_total,
        raw_currency,
        raw_delivered_at,
        raw_updated_at,
        order_id,
        customer_id,
        ordered_at,
        order_status,
        order_total,
        currency,
        delivered_at,
        updated_at,
        version_rank,
        rejection_reason,
        {{ row_disposition() }} as row_disposition
    from classified
)

select * from final
