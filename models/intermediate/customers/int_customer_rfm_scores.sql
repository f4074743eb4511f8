-- R, F and M scores, 1 to 5 (5 best), of every purchasing customer (docs/definitions.md
-- §5). By default tie-consistent quantile scores over the purchasing
-- population; a dimension with var rfm_<dimension>_bins set is scored by those
-- fixed cut points instead.
{%- set recency_bins = get_var('rfm_recency_bins') %}
{%- set frequency_bins = get_var('rfm_frequency_bins') %}
{%- set monetary_bins = get_var('rfm_monetary_bins') %}
{%- set r_score = bin_score('recency_days', recency_bins, higher_is_better=false) if recency_bins is not none
    else quantile_score('recency_days', higher_is_better=false) %}
{%- set f_score = bin_score('frequency', frequency_bins, higher_is_better=true) if frequency_bins is not none
    else quantile_score('frequency', higher_is_better=true) %}
{%- set m_score = bin_score('monetary', monetary_bins, higher_is_better=true) if monetary_bins is not none
    else quantile_score('monetary', higher_is_better=true) %}

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
        {{ r_score }} as r_score,
        {{ f_score }} as f_score,
        {{ m_score }} as m_score
    from purchasers
)

select * from final
