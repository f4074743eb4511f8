-- RFM scores and named segments of every purchasing customer (docs/definitions.md
-- §5), with the lifecycle stage and the at-risk flag.
with

customer_order_metrics as (
    select * from {{ ref('int_customer_order_metrics') }}
),

rfm_scores as (
    select * from {{ ref('int_customer_rfm_scores') }}
),

at_risk_flags as (
    select * from {{ ref('int_customer_at_risk_flags') }}
),

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

-- The segment of each score cell (macros/scoring/rfm_cell_segments.sql).
cell_segments as (
    {{ rfm_cell_segments('segment_map') }}
),

final as (
    select
        -- ids
        rfm_scores.customer_id,

        -- dates
        customer_order_metrics.first_order_date,
        customer_order_metrics.last_order_date,
        customer_order_metrics.recency_days,

        -- measures
        customer_order_metrics.frequency,
        customer_order_metrics.monetary,
        customer_order_metrics.net_monetary,

        -- scores and segment
        rfm_scores.r_score,
        rfm_scores.f_score,
        rfm_scores.m_score,
        cast(rfm_scores.r_score as {{ dbt.type_string() }})
        || cast(rfm_scores.f_score as {{ dbt.type_string() }})
        || cast(rfm_scores.m_score as {{ dbt.type_string() }}) as rfm_cell,
        cell_segments.rfm_segment,
        cell_segments.segment_priority,
        cell_segments.recommended_action,
        {{ lifecycle_stage('customer_order_metrics.recency_days') }} as lifecycle_stage,

        -- flags
        at_risk_flags.is_at_risk,
        customer_order_metrics.as_of_date
    from rfm_scores
    inner join customer_order_metrics
        on rfm_scores.customer_id = customer_order_metrics.customer_id
    inner join at_risk_flags
        on rfm_scores.customer_id = at_risk_flags.customer_id
    left join cell_segments
        on
            rfm_scores.r_score = cell_segments.r_score
            and rfm_scores.f_score = cell_segments.f_score
            and rfm_scores.m_score = cell_segments.m_score
)

select * from final
