-- Every raw order row, parsed, with what became of it: clean, duplicate (an
-- older export of an order) or rejected (with the reason and the raw values).
-- A table, unlike the other staging models (dbt_project.yml, &staged_by_key): raw rows
-- are parsed once here, then read by the clean model, the rejected-rows model and the tests.
-- Incremental: a daily build parses only the rows of the keys in new loads of a batched
-- raw table (see macros/incremental/incremental_builds.sql) and replaces their rows.

with

raw_orders as {{ raw_rows_hint('orders') }} (
    select * from {{ ref('base_shop__orders') }}
    {{ raw_rows_to_stage('orders', ref('base_shop__orders'), 'order_id') }}
),

order_status_synonyms as (
    select * from {{ ref('order_status_synonyms') }}
),

-- Statuses are few: normalise each distinct spelling once, not once per row.
status_lookup as (
    select
        raw_statuses.status as raw_status,
        order_status_synonyms.order_status
    from (select distinct status from raw_orders) as raw_statuses
    left join order_status_synonyms
        on {{ vocabulary_key('raw_statuses.status') }} = order_status_synonyms.spelling
),

-- Each raw value trimmed once (blank becomes null); the rules below read these.
trimmed as {{ not_materialized() }} (
    select
        raw_orders.order_id as raw_order_id,
        raw_orders.customer_id as raw_customer_id,
        raw_orders.ordered_at as raw_ordered_at,
        raw_orders.status as raw_status,
        raw_orders.order_total as raw_order_total,
        raw_orders.currency as raw_currency,
        raw_orders.delivered_at as raw_delivered_at,
        raw_orders.updated_at as raw_updated_at,
        raw_orders.file_line_number,
        raw_orders.physical_lines,
        raw_orders.load_id,
        raw_orders.unreadable_reason,
        raw_orders.unreadable_record,
        {{ clean_text('raw_orders.order_id') }} as order_id,
        {{ clean_text('raw_orders.customer_id') }} as customer_id,
        {{ clean_text('raw_orders.ordered_at') }} as ordered_at_text,
        {{ clean_text('raw_orders.status') }} as status_text,
        {{ clean_text('raw_orders.order_total') }} as order_total_text,
        {{ clean_text('raw_orders.currency') }} as currency_text,
        {{ clean_text('raw_orders.delivered_at') }} as delivered_at_text,
        {{ clean_text('raw_orders.updated_at') }} as updated_at_text
    from raw_orders
),

versioned_keys as (
    {{ versioned_keys('trimmed', ['order_id']) }}
),

parsed as {{ not_materialized() }} (
    select
        trimmed.*,
        {{ parse_timestamp('trimmed.ordered_at_text') }} as ordered_at,
        {{ parse_decimal('trimmed.order_total_text') }} as order_total,
        upper(trimmed.currency_text) as currency,
        {{ parse_timestamp('trimmed.delivered_at_text') }} as delivered_at,
        {{ parse_timestamp('trimmed.updated_at_text') }} as updated_at,
        status_lookup.order_status,
        coalesce(versioned_keys.has_versions, false) as has_versions
    from trimmed
    -- Joined here, not in trimmed, which versioned_keys reads too: one join
    -- of every row instead of two.
    left join status_lookup
        on trimmed.raw_status = status_lookup.raw_status
    left join versioned_keys
        on trimmed.order_id = versioned_keys.order_id
),

fingerprinted as {{ not_materialized() }} (
    select
        *,
        {{ row_fingerprint([
            'raw_order_id', 'raw_customer_id', 'raw_ordered_at', 'raw_status',
            'raw_order_total', 'raw_currency', 'raw_delivered_at', 'raw_updated_at',
        ]) }} as row_fingerprint
    from parsed
),

-- The latest export of an order wins; ties go to the higher fingerprint.
versions as (
    {{ ranked_versions('fingerprinted', ['order_id'], 'updated_at desc nulls last, row_fingerprint desc') }}
),

classified as (
    select
        *,
        -- One reason per row: the first rule it breaks, in this order.
        case
            when unreadable_reason is not null then unreadable_reason
            when order_id is null then 'missing_order_id'
            when version_rank > 1 then null
            when customer_id is null then 'missing_customer_id'
            when ordered_at_text is null then 'missing_ordered_at'
            when ordered_at is null then 'unparseable_ordered_at'
            -- After this build started: not yet happened, so a typo (9999-12-31)
            -- that would otherwise move the default as-of date.
            when ordered_at > {{ staged_at() }} then 'future_ordered_at'
            when status_text is null then 'missing_status'
            when order_status is null then 'unknown_status'
            when order_total_text is null then 'missing_order_total'
            when order_total is null then 'non_numeric_order_total'
            when order_total < 0 then 'negative_order_total'
        end as rejection_reason
    from versions
),

final as (
    select
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
        file_line_number,
        physical_lines,
        load_id,
        {{ row_disposition() }} as row_disposition,
        {{ staged_at() }} as staged_at,
        '{{ staging_fingerprint() }}' as staging_fingerprint,
        case when rejection_reason is not null then raw_order_id end as raw_key,
        case when rejection_reason is not null then coalesce(unreadable_record, {{ raw_values_text([
            'order_id', 'customer_id', 'ordered_at', 'status', 'order_total', 'currency', 'delivered_at', 'updated_at',
        ]) }}) end as raw_values
    from classified
)

select * from final
