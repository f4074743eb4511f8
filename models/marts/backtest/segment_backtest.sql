-- Does the at-risk rule work on this shop's data? (docs/definitions.md
-- §10: validate against the churned cohort.) Build as of a past date: for the at-risk
-- customers, the others, and each RFM segment, the share of purchasing
-- customers who bought again (a counted-status order) within var
-- backtest_window_days (90) after the as-of date, beside the share for
-- everyone else. A rule that works shows at-risk customers buying again far
-- less often than the rest. is_window_complete is false when the data ends
-- before the window does (the default as-of date, the day after the latest
-- order, leaves nothing to observe).
{%- set window_days = var('backtest_window_days') | int %}

with

rfm_segments as (
    select * from {{ ref('rfm_segments') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

window_bounds as (
    select
        as_of_date,
        {{ add_days('as_of_date', window_days) }} as window_end_date
    from as_of
),

-- Only the orders after the as-of date are read: the window and the
-- coverage need no others. Filtered here, before stg_shop__orders joins its
-- orders to the customers, the older orders are skipped (DECISIONS.md,
-- Customer segments).
later_orders as (
    select
        orders.customer_id,
        orders.order_status,
        orders.order_date
    from {{ ref('stg_shop__orders') }} as orders
    cross join window_bounds
    where orders.order_date > window_bounds.as_of_date
),

later_buyers as (
    select later_orders.customer_id
    from later_orders
    cross join window_bounds
    where
        later_orders.order_status in {{ sql_list(var('counted_order_statuses')) }}
        and later_orders.order_date <= window_bounds.window_end_date
    group by later_orders.customer_id
),

outcomes as (
    select
        rfm_segments.customer_id,
        rfm_segments.rfm_segment,
        case when rfm_segments.is_at_risk then 'at_risk' else 'not_at_risk' end as at_risk_cohort,
        case when later_buyers.customer_id is not null then 1 else 0 end as bought_again
    from rfm_segments
    left join later_buyers
        on rfm_segments.customer_id = later_buyers.customer_id
),

cohorts as (
    select
        'at_risk_flag' as cohort_type,
        at_risk_cohort as cohort,
        bought_again
    from outcomes

    union all

    select
        'rfm_segment' as cohort_type,
        rfm_segment as cohort,
        bought_again
    from outcomes
),

cohort_counts as (
    select
        cohort_type,
        cohort,
        count(*) as customers,
        sum(bought_again) as repurchasers
    from cohorts
    group by cohort_type, cohort
),

totals as (
    select
        count(*) as customers,
        sum(bought_again) as repurchasers
    from outcomes
),

-- The window ends after the as-of date (backtest_window_days is at least 1),
-- so orders up to the as-of date can never cover it.
coverage as (
    select max(order_date) as last_order_date
    from later_orders
),

final as (
    select
        -- cohort
        cohort_counts.cohort_type,
        cohort_counts.cohort,

        -- the cohort
        cast(cohort_counts.customers as integer) as customers,
        cast(cohort_counts.repurchasers as integer) as repurchasers,
        cast(cohort_counts.repurchasers as {{ type_double() }}) / cohort_counts.customers as repurchase_rate,

        -- everyone else
        cast(totals.customers - cohort_counts.customers as integer) as others_customers,
        cast(totals.repurchasers - cohort_counts.repurchasers as integer) as others_repurchasers,
        cast(totals.repurchasers - cohort_counts.repurchasers as {{ type_double() }})
        / nullif(totals.customers - cohort_counts.customers, 0) as others_repurchase_rate,

        -- window
        window_bounds.as_of_date,
        {{ window_days }} as window_days,
        window_bounds.window_end_date,
        coalesce(coverage.last_order_date >= window_bounds.window_end_date, false) as is_window_complete
    from cohort_counts
    cross join totals
    cross join window_bounds
    cross join coverage
)

select * from final
