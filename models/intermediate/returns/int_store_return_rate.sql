-- The store return rate and the tier limits it gives (docs/definitions.md §6), one
-- row: all customers' returned orders over all their counted orders, and the
-- rates at which standard, at_risk and serial_returner begin. In relative
-- mode a limit is var return_tier_multipliers times the store rate, in
-- absolute mode var return_tier_rates. The limits are published for BI; tiers
-- compare the exact integer counts, never these rounded rates.
{%- set mode = var('return_tier_mode') %}
{%- set limits = var('return_tier_multipliers') if mode == 'relative' else var('return_tier_rates') %}
{%- set scale = 'with_rate.store_return_rate' if mode == 'relative' else '1' %}

with

return_metrics as (
    select * from {{ ref('int_customer_return_metrics') }}
    where counted_orders > 0
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

store as (
    select
        count(*) as population,
        coalesce(sum(returned_orders), 0) as store_returned_orders,
        coalesce(sum(counted_orders), 0) as store_counted_orders
    from return_metrics
),

with_rate as (
    select
        *,
        cast(store_returned_orders as {{ type_double() }})
        / nullif(store_counted_orders, 0) as store_return_rate
    from store
),

final as (
    select
        as_of.as_of_date,
        cast(with_rate.population as integer) as population,
        -- bigint: tiers multiply these by a customer's orders (ten million
        -- store orders x a few hundred overflow a 32-bit integer).
        cast(with_rate.store_returned_orders as bigint) as store_returned_orders,
        cast(with_rate.store_counted_orders as bigint) as store_counted_orders,
        with_rate.store_return_rate,
        '{{ mode }}' as return_tier_mode,
        cast({{ limits[0] }} as {{ type_double() }}) * {{ scale }} as standard_limit_rate,
        cast({{ limits[1] }} as {{ type_double() }}) * {{ scale }} as at_risk_limit_rate,
        cast({{ limits[2] }} as {{ type_double() }}) * {{ scale }} as serial_returner_limit_rate
    from with_rate
    cross join as_of
)

select * from final
