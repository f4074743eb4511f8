-- What each snapshot with a known outcome teaches (docs/definitions.md §13):
-- the share of its customers who bought again in the window after it, per
-- cell of frequency bin, recency tenth (within the frequency bin) and tenure
-- fifth, each level pulled toward its parent: rate = (repurchasers + m x
-- parent rate) / (customers + m), m = var repurchase_prior_strength. Level
-- 0 is the whole snapshot (no parent); level 1 the frequency bin; level 2
-- adds the recency tenth; level 3 the tenure fifth. A small cell says little
-- and stays near its parent; a large one speaks for itself.
{%- set m = var('repurchase_prior_strength') %}

with

snapshots as (
    select * from {{ ref('int_repurchase_snapshots') }}
    where bought_in_window is not null
),

level_0 as (
    select
        snapshot_name,
        count(*) as customers,
        sum(bought_in_window) as repurchasers,
        sum(bought_in_window) / cast(count(*) as {{ type_double() }}) as rate
    from snapshots
    group by snapshot_name
),

level_1_counts as (
    select
        snapshot_name,
        frequency_bin,
        count(*) as customers,
        sum(bought_in_window) as repurchasers
    from snapshots
    group by snapshot_name, frequency_bin
),

level_1 as (
    select
        level_1_counts.*,
        (level_1_counts.repurchasers + {{ m }} * level_0.rate)
        / cast(level_1_counts.customers + {{ m }} as {{ type_double() }}) as rate
    from level_1_counts
    inner join level_0
        on level_1_counts.snapshot_name = level_0.snapshot_name
),

level_2_counts as (
    select
        snapshot_name,
        frequency_bin,
        recency_bin,
        count(*) as customers,
        sum(bought_in_window) as repurchasers
    from snapshots
    group by snapshot_name, frequency_bin, recency_bin
),

level_2 as (
    select
        level_2_counts.*,
        (level_2_counts.repurchasers + {{ m }} * level_1.rate)
        / cast(level_2_counts.customers + {{ m }} as {{ type_double() }}) as rate
    from level_2_counts
    inner join level_1
        on
            level_2_counts.snapshot_name = level_1.snapshot_name
            and level_2_counts.frequency_bin = level_1.frequency_bin
),

level_3_counts as (
    select
        snapshot_name,
        frequency_bin,
        recency_bin,
        tenure_bin,
        count(*) as customers,
        sum(bought_in_window) as repurchasers
    from snapshots
    group by snapshot_name, frequency_bin, recency_bin, tenure_bin
),

level_3 as (
    select
        level_3_counts.*,
        (level_3_counts.repurchasers + {{ m }} * level_2.rate)
        / cast(level_3_counts.customers + {{ m }} as {{ type_double() }}) as rate
    from level_3_counts
    inner join level_2
        on
            level_3_counts.snapshot_name = level_2.snapshot_name
            and level_3_counts.frequency_bin = level_2.frequency_bin
            and level_3_counts.recency_bin = level_2.recency_bin
),

final as (
    select
        snapshot_name,
        0 as cell_level,
        cast(null as integer) as frequency_bin,
        cast(null as integer) as recency_bin,
        cast(null as integer) as tenure_bin,
        customers,
        repurchasers,
        rate
    from level_0

    union all

    select
        snapshot_name,
        1 as cell_level,
        frequency_bin,
        cast(null as integer) as recency_bin,
        cast(null as integer) as tenure_bin,
        customers,
        repurchasers,
        rate
    from level_1

    union all

    select
        snapshot_name,
        2 as cell_level,
        frequency_bin,
        recency_bin,
        cast(null as integer) as tenure_bin,
        customers,
        repurchasers,
        rate
    from level_2

    union all

    select
        snapshot_name,
        3 as cell_level,
        frequency_bin,
        recency_bin,
        tenure_bin,
        customers,
        repurchasers,
        rate
    from level_3
)

select * from final
