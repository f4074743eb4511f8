-- Rule violations of customer_segments, one row each; the model is tested to
-- be empty. Every customer appears exactly once; every purchasing customer
-- has one RFM segment, one return tier and one quadrant; a customer without a
-- counted order has none.
with

customer_segments as (
    select * from {{ ref('customer_segments') }}
),

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

missing as (
    select
        customer_order_metrics.customer_id,
        'missing_customer' as violation
    from customer_order_metrics
    left join customer_segments
        on customer_order_metrics.customer_id = customer_segments.customer_id
    where customer_segments.customer_id is null
),

duplicated as (
    select
        customer_id,
        'duplicate_customer' as violation
    from customer_segments
    group by customer_id
    having count(*) > 1
),

unsegmented as (
    select
        customer_id,
        'purchaser_without_segment' as violation
    from customer_segments
    where
        is_purchaser
        and (rfm_segment is null or return_tier is null or risk_value_quadrant is null)
),

segmented_without_purchase as (
    select
        customer_id,
        'segment_without_purchase' as violation
    from customer_segments
    where
        not is_purchaser
        and (rfm_segment is not null or return_tier is not null or risk_value_quadrant is not null)
),

final as (
    select * from missing
    union all
    select * from duplicated
    union all
    select * from unsegmented
    union all
    select * from segmented_without_purchase
)

select * from final
