-- Every raw return row, parsed, with what became of it: clean, duplicate (the
-- same return exported again) or rejected (with the reason and the raw values).
-- A table, unlike the other staging models (dbt_project.yml, &staged_by_key): raw rows
-- are parsed once here, then read by the clean model, the rejected-rows model and the tests.
-- Incremental: a daily build parses only the rows of the keys in new loads of a batched
-- raw table (see macros/incremental/incremental_builds.sql) and replaces their rows.

with

raw_returns as {{ raw_rows_hint('returns') }} (
    select * from {{ ref('base_shop__returns') }}
    {{ raw_rows_to_stage('returns', ref('base_shop__returns'), 'return_id', order_column='order_id') }}
),

return_status_synonyms as (
    select * from {{ ref('return_status_synonyms') }}
),

-- The surviving version of each raw order: a return's order may be unknown, or
-- known but rejected; a refund is checked against the order's total.
order_versions as (
    select
        order_id,
        row_disposition as order_disposition,
        order_total
    from {{ ref('stg_shop__order_rows') }}
    where order_id is not null and version_rank = 1
    {{ staged_orders_only('returns', 'raw_returns') }}
),

-- Return statuses are few: normalise each distinct spelling once, not once per row.
status_lookup as (
    select
        raw_statuses.status as raw_status,
        return_status_synonyms.return_status
    from (select distinct status from raw_returns) as raw_statuses
    left join return_status_synonyms
        on {{ vocabulary_key('raw_statuses.status') }} = return_status_synonyms.spelling
),

-- Each raw value trimmed once (blank becomes null); the rules below read these.
trimmed as {{ not_materialized() }} (
    select
        raw_returns.return_id as raw_return_id,
        raw_returns.order_id as raw_order_id,
        raw_returns.line_number as raw_line_number,
        raw_returns.requested_at as raw_requested_at,
        raw_returns.refund_amount as raw_refund_amount,
        raw_returns.reason as raw_reason,
        raw_returns.tracking_confirmed as raw_tracking_confirmed,
        raw_returns.status as raw_status,
        raw_returns.file_line_number,
        raw_returns.physical_lines,
        raw_returns.load_id,
        raw_returns.unreadable_reason,
        raw_returns.unreadable_record,
        {{ clean_text('raw_returns.return_id') }} as return_id,
        {{ clean_text('raw_returns.order_id') }} as order_id,
        {{ clean_text('raw_returns.line_number') }} as line_number_text,
        {{ clean_text('raw_returns.requested_at') }} as requested_at_text,
        {{ clean_text('raw_returns.refund_amount') }} as refund_amount_text,
        {{ clean_text('raw_returns.reason') }} as reason,
        {{ clean_text('raw_returns.tracking_confirmed') }} as tracking_confirmed_text,
        {{ clean_text('raw_returns.status') }} as status_text
    from raw_returns
),

versioned_keys as (
    {{ versioned_keys('trimmed', ['return_id']) }}
),

parsed as {{ not_materialized() }} (
    select
        trimmed.*,
        {{ parse_integer('trimmed.line_number_text') }} as line_number,
        {{ parse_timestamp('trimmed.requested_at_text') }} as requested_at,
        {{ parse_decimal('trimmed.refund_amount_text') }} as parsed_refund_amount,
        {{ parse_boolean('trimmed.tracking_confirmed_text') }} as is_tracking_confirmed,
        -- A return without a status has at least been requested.
        case
            when trimmed.status_text is null then 'requested'
            else status_lookup.return_status
        end as return_status,
        coalesce(versioned_keys.has_versions, false) as has_versions
    from trimmed
    -- Joined here, not in trimmed, which versioned_keys reads too: one join
    -- of every row instead of two.
    left join status_lookup
        on trimmed.raw_status = status_lookup.raw_status
    left join versioned_keys
        on trimmed.return_id = versioned_keys.return_id
),

fingerprinted as {{ not_materialized() }} (
    select
        *,
        {{ row_fingerprint([
            'raw_return_id', 'raw_order_id', 'raw_line_number', 'raw_requested_at',
            'raw_refund_amount', 'raw_reason', 'raw_tracking_confirmed', 'raw_status',
        ]) }} as row_fingerprint
    from parsed
),

-- Returns carry no update time: the version furthest along its life wins (a
-- refunded or rejected return over a requested one), then the latest request,
-- then the higher fingerprint.
ranked as (
    {{ ranked_versions('fingerprinted', ['return_id'], "
        case return_status
            when 'requested' then 1
            when 'approved' then 2
            when 'received' then 3
            when 'refunded' then 4
            when 'rejected' then 4
            else 0
        end desc,
        requested_at desc nulls last,
        row_fingerprint desc
    ") }}
),

versions as (
    select
        ranked.*,
        order_versions.order_disposition,
        order_versions.order_total
    from ranked
    left join order_versions
        on ranked.order_id = order_versions.order_id
),

classified as (
    select
        *,
        -- One reason per row: the first rule it breaks, in this order.
        case
            when unreadable_reason is not null then unreadable_reason
            when return_id is null then 'missing_return_id'
            when version_rank > 1 then null
            when order_id is null then 'missing_order_id'
            when order_disposition is null then 'unknown_order'
            when order_disposition = 'rejected' then 'order_rejected'
            when requested_at_text is null then 'missing_requested_at'
            when requested_at is null then 'unparseable_requested_at'
            when requested_at > {{ staged_at() }} then 'future_requested_at'
            when line_number_text is not null and line_number is null then 'invalid_line_number'
            when return_status is null then 'unknown_return_status'
            when refund_amount_text is not null and parsed_refund_amount is null then 'non_numeric_refund_amount'
            when parsed_refund_amount < 0 then 'negative_refund_amount'
            when parsed_refund_amount > order_total then 'refund_exceeds_order_total'
        end as rejection_reason
    from versions
),

final as (
    select
        return_id,
        order_id,
        line_number,
        requested_at,
        -- A return without a refund amount refunded nothing (yet).
        cast(coalesce(parsed_refund_amount, 0) as decimal(18, 4)) as refund_amount,
        reason,
        is_tracking_confirmed,
        return_status,
        version_rank,
        rejection_reason,
        file_line_number,
        physical_lines,
        load_id,
        {{ row_disposition() }} as row_disposition,
        {{ staged_at() }} as staged_at,
        '{{ staging_fingerprint() }}' as staging_fingerprint,
        case when rejection_reason is not null then raw_return_id end as raw_key,
        case when rejection_reason is not null then coalesce(unreadable_record, {{ raw_values_text([
            'return_id', 'order_id', 'line_number', 'requested_at', 'refund_amount', 'reason',
            'tracking_confirmed', 'status',
        ]) }}) end as raw_values
    from classified
)

select * from final
