-- Every return id a staged return row names, as of the as-of date
-- (docs/definitions.md §6): whether it counts (is_accepted: a clean version,
-- not rejected, requested by the as-of date, of an order that counts) and
-- what the return patterns read: the value returned (a return without a line
-- number returns the whole order), whether it came within var
-- quick_return_hours of delivery, whether tracking was explicitly not
-- confirmed, whether its reason is missing or vague, and its order's total.
-- A return without a clean version keeps a row that does not count, so an
-- incremental build always has a row to replace; int_accepted_returns shows
-- those that count. Incremental by return, for the orders keys_to_refresh
-- finds (macros/incremental/incremental_builds.sql).
-- depends_on: {{ ref('int_customer_changes') }}

with

{% if is_incremental() -%}
orders_to_refresh as {{ materialized() }} (
    {{ keys_to_refresh(
        'order_id', ref('int_customer_changes'), ref('int_as_of_date'),
        staged=['order_item', 'return'], active=['return'], held=['return']
    ) }}
    union  -- and the orders int_orders recomputed since (whether they count...)
    select order_id from {{ ref('int_orders') }}
    where computed_at > (select max(computed_at) from {{ this }})
),

{% endif -%}
-- An incremental build's keys: the returns of the orders it recomputes, and
-- those it holds for them (one no row names any more no longer counts).
return_keys as (
    {% if is_incremental() %}
        select return_id
        from {{ ref('stg_shop__return_rows') }}
        where return_id is not null and order_id in (select order_id from orders_to_refresh)
        union
        select return_id from {{ this }}
        where order_id in (select order_id from orders_to_refresh)
    {% else %}
        select distinct return_id
        from {{ ref('stg_shop__return_rows') }}
        where return_id is not null
    {% endif %}
),

returns as (
    select * from {{ ref('stg_shop__returns') }}
    {%- if is_incremental() %}
    where order_id in (select order_id from orders_to_refresh)
    {%- endif %}
),

orders as (
    select * from {{ ref('int_orders') }}
    {%- if is_incremental() %}
    where order_id in (select order_id from orders_to_refresh)
    {%- endif %}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
    {%- if is_incremental() %}
    where order_id in (select order_id from orders_to_refresh)
    {%- endif %}
),

vague_return_reasons as (
    select * from {{ ref('vague_return_reasons') }}
),

-- Each distinct reason is looked up once, not once per return.
reasons as (
    select
        reason,
        {{ vocabulary_key('reason') }} as spelling
    from returns
    where reason is not null
    group by reason
),

vague_reasons as (
    select reasons.reason
    from reasons
    inner join vague_return_reasons
        on reasons.spelling = vague_return_reasons.spelling
),

final as (
    select
        return_keys.return_id,
        returns.order_id,
        orders.customer_id,
        returns.line_number,

        returns.requested_at,
        cast(returns.requested_at as date) as requested_date,
        orders.ordered_at,
        orders.delivered_at,

        returns.return_status,
        returns.refund_amount,
        returns.reason,
        returns.is_tracking_confirmed,
        case when returns.return_id is not null then returns.line_number is null end as is_whole_order_return,
        orders.order_total,
        coalesce(
            orders.is_counted
            and returns.return_status != 'rejected'
            and cast(returns.requested_at as date) <= as_of.as_of_date,
            false
        ) as is_accepted,

        -- What was returned: the line, or the whole order; a line missing
        -- from the clean order lines is worth its refund.
        cast(
            case
                when returns.line_number is null then orders.order_total
                else coalesce(order_items.line_total, returns.refund_amount)
            end as decimal(18, 4)
        ) as returned_value,

        coalesce(
            returns.requested_at >= orders.delivered_at
            and returns.requested_at
            <= {{ add_hours('orders.delivered_at', var('quick_return_hours')) }},
            false
        ) as is_quick_return,
        coalesce(not returns.is_tracking_confirmed, false) as is_untracked,
        returns.reason is null or vague_reasons.reason is not null as has_vague_reason,

        {{ refresh_columns(ref('int_as_of_date')) }}
    from return_keys
    left join returns
        on return_keys.return_id = returns.return_id
    left join orders
        on returns.order_id = orders.order_id
    left join order_items
        on
            returns.order_id = order_items.order_id
            and returns.line_number = order_items.line_number
    left join vague_reasons
        on returns.reason = vague_reasons.reason
    cross join as_of
)

select * from final
