-- R, F and M scores, 1 to 5 (5 best), of every purchasing customer (docs/definitions.md
-- §5). By default tie-consistent quantile scores over the purchasing
-- population; a dimension with var rfm_<dimension>_bins set is scored by those
-- fixed cut points instead.
with

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

purchasers as (
    select
        customer_id,
        recency_days,
        frequency,
        monetary
    from customer_order_metrics
    where has_counted_order
),

final as (
    select
        customer_id,
        {{ rfm_score('recency') }} as r_score,
        {{ rfm_score('frequency') }} as f_score,
        {{ rfm_score('monetary') }} as m_score
    from purchasers
)

select * from final
