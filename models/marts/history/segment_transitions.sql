-- Each customer's moves between segments (docs/definitions.md §8), one
-- row per change of RFM segment, lifecycle stage, return tier or risk x value
-- quadrant, with the as-of date of the build that first saw it: campaigns
-- suppress customers who just left a segment (segment-exit suppression). A
-- customer's first recorded version is not a move; a move from or to null is
-- a first purchase or a lost one.

with

history as (
    select * from {{ ref('customer_segments_history') }}
),

-- Only a customer with two versions or more can have moved: the others, most
-- customers on most days, skip the sort below (DECISIONS.md, Performance).
customers_with_versions as (
    select customer_id
    from history
    group by customer_id
    having count(*) > 1
),

versioned_history as (
    select * from history
    where customer_id in (select customers_with_versions.customer_id from customers_with_versions)
),

memberships as (
    select
        customer_id,
        'rfm_segment' as dimension,
        rfm_segment as segment,
        valid_from as as_of_date
    from versioned_history

    union all

    select
        customer_id,
        'lifecycle_stage' as dimension,
        lifecycle_stage as segment,
        valid_from as as_of_date
    from versioned_history

    union all

    select
        customer_id,
        'return_tier' as dimension,
        return_tier as segment,
        valid_from as as_of_date
    from versioned_history

    union all

    select
        customer_id,
        'risk_value_quadrant' as dimension,
        risk_value_quadrant as segment,
        valid_from as as_of_date
    from versioned_history
),

changes as (
    select
        customer_id,
        dimension,
        segment,
        as_of_date,
        lag(segment) over (partition by customer_id, dimension order by as_of_date) as previous_segment,
        row_number() over (partition by customer_id, dimension order by as_of_date) as version_number
    from memberships
),

final as (
    select
        customer_id,
        dimension,
        previous_segment as from_segment,
        segment as to_segment,
        as_of_date
    from changes
    where
        version_number > 1
        and (
            previous_segment != segment
            or (previous_segment is null and segment is not null)
            or (previous_segment is not null and segment is null)
        )
)

select * from final
