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

monetary_scored as (
    select
        *,
        {{ rfm_score('monetary') }} as m_score
    from purchasers
),

-- Recency and frequency scored once per distinct value and joined back
-- (macros/scoring/rfm_score.sql). Left joins, though every value has its
-- score, so that DuckDB hashes the few values, not the customers
-- (DECISIONS.md, Performance).
recency_scores as (
    {{ rfm_scores_of_values('purchasers', 'recency') }}
),

frequency_scores as (
    {{ rfm_scores_of_values('purchasers', 'frequency') }}
),

final as (
    select
        monetary_scored.customer_id,
        recency_scores.score as r_score,
        frequency_scores.score as f_score,
        monetary_scored.m_score
    from monetary_scored
    left join recency_scores
        on monetary_scored.recency_days = recency_scores.recency_days
    left join frequency_scores
        on monetary_scored.frequency = frequency_scores.frequency
)

select * from final
