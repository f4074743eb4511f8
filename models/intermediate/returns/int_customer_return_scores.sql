-- Each purchasing customer's return-risk score (docs/definitions.md §6): 100 x the
-- weighted sum (var return_score_weights) of six signals, each in [0, 1]:
--   rate     return rate / the serial_returner limit, capped at 1
--   recency  returns decayed by age, 2^(-age / var
--            return_recency_half_life_days), summed, over var
--            return_recency_full_weight, capped at 1
--   pattern  share of the five return patterns present
--   value    refunded value / ordered value
--   reason   share of returns without a reason or with a vague one
--   tenure   counted orders / var return_tenure_full_orders, capped at 1;
--            0 below var return_min_orders or without returns
{%- set weights = var('return_score_weights') %}
{%- set half_life = var('return_recency_half_life_days') %}
{%- set double = type_double() %}
{%- set weighted_signals = [] %}
{%- for signal, weight in (weights.items() if weights is mapping else []) %}
    {%- do weighted_signals.append(weight ~ ' * ' ~ signal ~ '_signal') %}
{%- endfor %}

with

return_metrics as (
    select * from {{ ref('int_customer_return_metrics') }}
    where counted_orders > 0
),

store as (
    select * from {{ ref('int_store_return_rate') }}
),

patterns as (
    select * from {{ ref('int_customer_return_patterns') }}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

return_ages as (
    select
        accepted_returns.customer_id,
        accepted_returns.has_vague_reason,
        -- dbt.datediff renders one long line per adapter: hence the noqa.
        cast({{ dbt.datediff('accepted_returns.requested_date', 'as_of.as_of_date', 'day') }} as {{ double }}) as age_days  -- noqa: LT05
    from accepted_returns
    cross join as_of
),

customer_returns as (
    select
        customer_id,
        -- Summed as whole numbers of 10^-15: a sum of doubles depends on the
        -- order rows arrive in (the last digits differed between two builds of
        -- the same data), integer addition does not. 15 digits, because
        -- Postgres keeps no more when it turns a double into a decimal.
        cast(
            sum(cast(round(power(cast(2 as {{ double }}), -age_days / {{ half_life }}) * 1e15) as decimal(38, 0)))
            as {{ double }}
        ) / 1e15 as decayed_returns,
        sum(case when has_vague_reason then 1 else 0 end) as vague_returns
    from return_ages
    group by customer_id
),

signals as (
    select
        return_metrics.customer_id,
        case
            when store.serial_returner_limit_rate > 0
                then least(1, return_metrics.return_rate / store.serial_returner_limit_rate)
            else 0
        end as rate_signal,
        least(
            1,
            coalesce(customer_returns.decayed_returns, 0) / {{ var('return_recency_full_weight') }}
        ) as recency_signal,
        cast(patterns.pattern_flags as {{ double }}) / 5 as pattern_signal,
        case
            when return_metrics.ordered_value > 0
                then least(1, cast(return_metrics.refunded_value as {{ double }}) / return_metrics.ordered_value)
            else 0
        end as value_signal,
        case
            when return_metrics.total_returns > 0
                then cast(customer_returns.vague_returns as {{ double }}) / return_metrics.total_returns
            else 0
        end as reason_signal,
        case
            when return_metrics.total_returns = 0
                or return_metrics.counted_orders < {{ var('return_min_orders') }}
                then 0
            else
                least(
                    1, cast(return_metrics.counted_orders as {{ double }}) / {{ var('return_tenure_full_orders') }}
                )
        end as tenure_signal
    from return_metrics
    cross join store
    inner join patterns
        on return_metrics.customer_id = patterns.customer_id
    left join customer_returns
        on return_metrics.customer_id = customer_returns.customer_id
),

final as (
    select
        customer_id,
        cast(rate_signal as {{ double }}) as rate_signal,
        cast(recency_signal as {{ double }}) as recency_signal,
        cast(pattern_signal as {{ double }}) as pattern_signal,
        cast(value_signal as {{ double }}) as value_signal,
        cast(reason_signal as {{ double }}) as reason_signal,
        cast(tenure_signal as {{ double }}) as tenure_signal,
        -- least(): weights summing to 1 within float error never push a
        -- perfect score past 100. The weighted sum renders as one long line.
        cast(least(100, 100 * ({{ weighted_signals | join(' + ') }})) as {{ double }}) as return_risk_score  -- noqa: LT05
    from signals
)

select * from final
