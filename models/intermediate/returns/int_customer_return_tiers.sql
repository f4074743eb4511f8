-- Each purchasing customer's return tier (docs/definitions.md §6):
-- champion, standard, at_risk or serial_returner, by the customer's return
-- rate against limits that are multiples of the store return rate (relative
-- mode) or fixed rates (absolute mode). A limit belongs to the tier above it.
-- Customers with fewer than var return_min_orders counted orders are new and
-- never placed above standard. A customer without returns is a champion, also
-- when the store has no returns at all.
{%- set mode = var('return_tier_mode') %}
{%- set limits = var('return_tier_multipliers') if mode == 'relative' else var('return_tier_rates') %}
{#- Rates are compared as exact products of integers and decimal limits, never
    as rounded ratios: rate >= limit x store rate is
    returned x store counted >= limit x store returned x counted. #}
{%- set reaches = [] %}
{%- for limit in (limits if limits is iterable else []) %}
    {%- if mode == 'relative' %}
        {%- do reaches.append('returned_orders * store_counted_orders >= '
            ~ limit ~ ' * store_returned_orders * counted_orders') %}
    {%- else %}
        {%- do reaches.append('returned_orders >= ' ~ limit ~ ' * counted_orders') %}
    {%- endif %}
{%- endfor %}

with

return_metrics as (
    select * from {{ ref('int_customer_return_metrics') }}
    where counted_orders > 0
),

store as (
    select * from {{ ref('int_store_return_rate') }}
),

with_store as (
    select
        return_metrics.*,
        store.store_returned_orders,
        store.store_counted_orders,
        store.store_return_rate
    from return_metrics
    cross join store
),

limits_reached as (
    select
        *,
        {{ reaches[0] }} as reaches_limit_1,
        {{ reaches[1] }} as reaches_limit_2,
        {{ reaches[2] }} as reaches_limit_3,
        counted_orders < {{ var('return_min_orders') }} as is_new_customer
    from with_store
),

final as (
    select
        customer_id,
        counted_orders,
        returned_orders,
        return_rate,
        store_return_rate,
        is_new_customer,
        case
            when returned_orders = 0 then 'champion'
            when reaches_limit_2 and is_new_customer then 'standard'
            when reaches_limit_3 then 'serial_returner'
            when reaches_limit_2 then 'at_risk'
            when reaches_limit_1 then 'standard'
            else 'champion'
        end as return_tier
    from limits_reached
)

select * from final
