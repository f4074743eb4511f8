-- Every raw order line, parsed, with what became of it: clean, duplicate (the
-- same order and line number exported again) or rejected (with the reason and
-- the raw values).
-- A table, unlike the other staging models (dbt_project.yml, &staged_by_key): raw rows
-- are parsed once here, then read by the clean model, the rejected-rows model and the tests.
-- Incremental: a daily build parses only the rows of the keys in new loads of a batched
-- raw table (see macros/incremental/incremental_builds.sql) and replaces their rows.

with

raw_order_items as {{ raw_rows_hint('order_items') }} (
    select * from {{ ref('base_shop__order_items') }}
    {{ raw_rows_to_stage('order_items', ref('base_shop__order_items'), 'order_id', order_column='order_id') }}
),

-- The surviving version of each raw order, clean or rejected.
order_versions as (
    select
        order_id,
        row_disposition as order_disposition
    from {{ ref('stg_shop__order_rows') }}
    where order_id is not null and version_rank = 1
    {{ staged_orders_only('order_items', 'raw_order_items') }}
),

-- Each raw value trimmed once (blank becomes null); the rules below read these.
trimmed as {{ not_materialized() }} (
    select
        order_id as raw_order_id,
        line_number as raw_line_number,
        product_id as raw_product_id,
        category as raw_category,
        variant as raw_variant,
        quantity as raw_quantity,
        unit_price as raw_unit_price,
        file_line_number,
        physical_lines,
        load_id,
        unreadable_reason,
        unreadable_record,
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('line_number') }} as line_number_text,
        {{ clean_text('product_id') }} as product_id,
        lower({{ clean_text('category') }}) as category,
        {{ clean_text('variant') }} as variant,
        {{ clean_text('quantity') }} as quantity_text,
        {{ clean_text('unit_price') }} as unit_price_text
    from raw_order_items
),

-- The orders whose lines are rejected for their order's sake: known but
-- rejected, or unknown. Found from the lines' order ids alone, so the wide
-- line rows below look up this small table: joined to every order's
-- disposition, the wide line rows spilled to disk (DECISIONS.md, Staging).
order_problems as (
    select
        order_id,
        'order_rejected' as order_problem
    from order_versions
    where order_disposition = 'rejected'

    union all

    select
        order_id,
        'unknown_order' as order_problem
    from (
        select order_id
        from trimmed
        where order_id is not null

        except

        select order_id
        from order_versions
    ) as unknown_orders
),

parsed as {{ not_materialized() }} (
    select
        *,
        {{ parse_integer('line_number_text') }} as line_number,
        {{ parse_integer('quantity_text') }} as quantity,
        {{ parse_decimal('unit_price_text') }} as unit_price
    from trimmed
),

versioned_keys as (
    {{ versioned_keys('parsed', ['order_id', 'line_number']) }}
),

flagged as {{ not_materialized() }} (
    select
        parsed.*,
        coalesce(versioned_keys.has_versions, false) as has_versions
    from parsed
    left join versioned_keys
        on
            parsed.order_id = versioned_keys.order_id
            and parsed.line_number = versioned_keys.line_number
),

fingerprinted as {{ not_materialized() }} (
    select
        *,
        {{ row_fingerprint([
            'raw_order_id', 'raw_line_number', 'raw_product_id', 'raw_category',
            'raw_variant', 'raw_quantity', 'raw_unit_price',
        ]) }} as row_fingerprint
    from flagged
),

-- A line exported twice: keep one, by fingerprint.
ranked as (
    {{ ranked_versions('fingerprinted', ['order_id', 'line_number'], 'row_fingerprint desc') }}
),

versions as (
    select
        ranked.*,
        order_problems.order_problem
    from ranked
    left join order_problems
        on ranked.order_id = order_problems.order_id
),

classified as (
    select
        *,
        -- One reason per row: the first rule it breaks, in this order.
        case
            when unreadable_reason is not null then unreadable_reason
            when order_id is null then 'missing_order_id'
            when line_number_text is null then 'missing_line_number'
            when line_number is null then 'invalid_line_number'
            when version_rank > 1 then null
            when order_problem is not null then order_problem
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
        order_id,
        line_number,
        product_id,
        category,
        variant,
        quantity,
        unit_price,
        version_rank,
        rejection_reason,
        file_line_number,
        physical_lines,
        load_id,
        {{ row_disposition() }} as row_disposition,
        {{ staged_at() }} as staged_at,
        '{{ staging_fingerprint() }}' as staging_fingerprint,
        case
            when rejection_reason is not null
                then coalesce(raw_order_id, '<null>') || ':' || coalesce(raw_line_number, '<null>')
        end as raw_key,
        case when rejection_reason is not null then coalesce(unreadable_record, {{ raw_values_text([
            'order_id', 'line_number', 'product_id', 'category', 'variant', 'quantity', 'unit_price',
        ]) }}) end as raw_values
    from classified
)

select * from final
