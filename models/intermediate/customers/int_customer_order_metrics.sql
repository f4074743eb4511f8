-- Each customer's order metrics as of the as-of date (docs/definitions.md §1-2), one
-- row per customer of the population: the customer export's customers and
-- every other id with a counted order. Its counts and sums, and the
-- days from the first and last counted order to the as-of date, which move
-- with the as-of date and so are computed here, on every build, from the
-- small per-customer table.
with

order_history as (
    select * from {{ ref('int_customer_order_history') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

final as (
    select
        -- ids
        order_history.customer_id,
        order_history.is_known_customer,

        -- dates
        as_of.as_of_date,
        order_history.first_order_date,
        order_history.last_order_date,
        -- dbt.datediff renders one long line per adapter: hence the noqa.
        cast({{ dbt.datediff('order_history.last_order_date', 'as_of.as_of_date', 'day') }} as integer) as recency_days,  -- noqa: LT05
        cast({{ dbt.datediff('order_history.first_order_date', 'as_of.as_of_date', 'day') }} as integer) as tenure_days,  -- noqa: LT05

        -- measures
        order_history.frequency,
        order_history.monetary,
        order_history.refunded_amount,
        cast(order_history.monetary - order_history.refunded_amount as decimal(18, 4)) as net_monetary,
        {{ money_ratio('order_history.monetary', 'order_history.frequency') }} as average_order_value,

        -- flags
        order_history.has_counted_order
    from order_history
    cross join as_of
    where order_history.is_known_customer or order_history.has_counted_order
)

select * from final
