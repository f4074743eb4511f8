-- Does a probability of 30% mean 3 in 10 buy again? (docs/definitions.md
-- §13.) The evaluation of repurchase_model_evaluation (trained one window
-- before s1, applied at s1 = the as-of date less one window), split into
-- ten equal groups by probability (ties broken by customer_id): per decile,
-- the mean probability against the share who really bought in the window
-- after s1. Empty when the history does not reach back two windows.

with

predictions as (
    select * from {{ ref('int_repurchase_predictions') }}
    where scored_snapshot = 's1'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

deciles as (
    select
        ntile(10) over (order by repurchase_probability, customer_id) as decile,
        repurchase_probability,
        bought_in_window
    from predictions
),

final as (
    select
        cast(deciles.decile as integer) as decile,
        cast(count(*) as integer) as customers,
        {{ rounded_double('avg(deciles.repurchase_probability)') }} as mean_probability,
        {{ rounded_double('avg(cast(deciles.bought_in_window as ' ~ type_double() ~ '))') }} as observed_rate,
        cast(min(deciles.repurchase_probability) as {{ type_double() }}) as min_probability,
        cast(max(deciles.repurchase_probability) as {{ type_double() }}) as max_probability,
        as_of.as_of_date
    from deciles
    cross join as_of
    group by deciles.decile, as_of.as_of_date
)

select * from final
