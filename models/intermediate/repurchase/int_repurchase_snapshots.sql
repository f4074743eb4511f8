-- Every purchasing customer as of each snapshot date the repurchase
-- probability learns from or scores (docs/definitions.md §13), one row per
-- snapshot and customer: recency, frequency, monetary value and tenure from the counted
-- orders dated on or before the snapshot, their bins, and whether the
-- customer bought again (a counted order) in the window of
-- var backtest_window_days after it. Snapshots step back one window (s0 is
-- the as-of date, s1 one window before, ...) and a year (y0 is s0 less 365
-- days, ...). A snapshot whose window is not over by the as-of date has no
-- outcome (null). Bins are ranks within the snapshot, not fixed day
-- limits: a shop whose customers all age by a window between training and
-- scoring keeps its bins comparable.
{%- set window_days = get_var('backtest_window_days') %}

with

counted_orders as (
    select * from {{ ref('int_counted_orders') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

snapshot_dates as (
    select
        's0' as snapshot_name,
        {{ add_days('as_of_date', -(0)) }} as snapshot_date,
        as_of_date
    from as_of

    union all

    select
        's1' as snapshot_name,
        {{ add_days('as_of_date', -(window_days)) }} as snapshot_date,
        as_of_date
    from as_of

    union all

    select
        's2' as snapshot_name,
        {{ add_days('as_of_date', -(2 * window_days)) }} as snapshot_date,
        as_of_date
    from as_of

    union all

    select
        's3' as snapshot_name,
        {{ add_days('as_of_date', -(3 * window_days)) }} as snapshot_date,
        as_of_date
    from as_of

    union all

    select
        'y0' as snapshot_name,
        {{ add_days('as_of_date', -(365)) }} as snapshot_date,
        as_of_date
    from as_of

    union all

    select
        'y1' as snapshot_name,
        {{ add_days('as_of_date', -(window_days + 365)) }} as snapshot_date,
        as_of_date
    from as_of

    union all

    select
        'y2' as snapshot_name,
        {{ add_days('as_of_date', -(2 * window_days + 365)) }} as snapshot_date,
        as_of_date
    from as_of
),

histories as (
    select
        snapshot_dates.snapshot_name,
        snapshot_dates.snapshot_date,
        counted_orders.customer_id,
        count(*) as frequency,
        sum(counted_orders.order_total) as monetary,
        min(counted_orders.order_date) as first_order_date,
        max(counted_orders.order_date) as last_order_date
    from snapshot_dates
    inner join counted_orders
        on snapshot_dates.snapshot_date >= counted_orders.order_date
    group by snapshot_dates.snapshot_name, snapshot_dates.snapshot_date, counted_orders.customer_id
),

-- The customers who bought in each snapshot's window, when it is over.
window_buyers as (
    select
        snapshot_dates.snapshot_name,
        counted_orders.customer_id
    from snapshot_dates
    inner join counted_orders
        on
            snapshot_dates.snapshot_date < counted_orders.order_date
            and {{ add_days('snapshot_dates.snapshot_date', window_days) }} >= counted_orders.order_date
    where {{ add_days('snapshot_dates.snapshot_date', window_days) }} <= snapshot_dates.as_of_date
    group by snapshot_dates.snapshot_name, counted_orders.customer_id
),

measured as (
    select
        histories.snapshot_name,
        histories.snapshot_date,
        histories.customer_id,
        histories.frequency,
        histories.monetary,
        -- dbt.datediff renders one long line per adapter: hence the noqa.
        cast({{ dbt.datediff('histories.last_order_date', 'histories.snapshot_date', 'day') }} as integer) as recency_days,  -- noqa: LT05
        cast({{ dbt.datediff('histories.first_order_date', 'histories.snapshot_date', 'day') }} as integer) as tenure_days,  -- noqa: LT05
        case
            when {{ add_days('snapshot_dates.snapshot_date', window_days) }} > snapshot_dates.as_of_date then null
            when window_buyers.customer_id is not null then 1
            else 0
        end as bought_in_window
    from histories
    inner join snapshot_dates
        on histories.snapshot_name = snapshot_dates.snapshot_name
    left join window_buyers
        on
            histories.snapshot_name = window_buyers.snapshot_name
            and histories.customer_id = window_buyers.customer_id
),

-- Frequency bins: 1, 2, 3, 4, 5-6, 7-9, 10-14, 15+ orders (0 to 7).
frequency_binned as (
    select
        *,
        case when frequency > 1 then 1 else 0 end
        + case when frequency > 2 then 1 else 0 end
        + case when frequency > 3 then 1 else 0 end
        + case when frequency > 4 then 1 else 0 end
        + case when frequency > 6 then 1 else 0 end
        + case when frequency > 9 then 1 else 0 end
        + case when frequency > 14 then 1 else 0 end as frequency_bin
    from measured
),

final as (
    select
        snapshot_name,
        snapshot_date,
        customer_id,
        recency_days,
        frequency,
        monetary,
        tenure_days,
        frequency_bin,
        -- Tenths of recency among the customers of the same frequency bin, 1
        -- the longest since the last order; fifths of tenure, 1 the newest.
        {{ quantile_score('recency_days', higher_is_better=false, buckets=10,
            partition_by='snapshot_name, frequency_bin') }} as recency_bin,
        {{ quantile_score('tenure_days', higher_is_better=true,
            partition_by='snapshot_name') }} as tenure_bin,
        bought_in_window
    from frequency_binned
)

select * from final
