-- The five return patterns (docs/definitions.md §6), one row per customer
-- of int_customer_return_metrics: bracketing (ordering several sizes or
-- colours of one product to keep one and return the rest: one single-order
-- bracketing order, or var bracketing_min_orders cross-order ones, counted in
-- int_customer_returned_lines); a return within var quick_return_hours of
-- delivery (wear-and-return); a return whose tracking was not confirmed; the
-- returned value rising over successive returns (at least var
-- escalation_min_returns of them, each worth more than the one before);
-- returned goods from var return_categories_min or more categories.
-- pattern_flags counts the patterns present (0-5). Incremental by customer
-- (macros/incremental/incremental_builds.sql).
-- depends_on: {{ ref('int_customer_changes') }}, {{ ref('stg_shop__orders') }}

with

{% if is_incremental() -%}
customers_to_refresh as {{ materialized() }} (
    {{ keys_to_refresh(
        'customer_id', ref('int_customer_changes'), ref('int_as_of_date'), orders=ref('stg_shop__orders')
    ) }}
),

{% endif -%}
return_metrics as (
    select * from {{ ref('int_customer_return_metrics') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

returned_lines as (
    select * from {{ ref('int_customer_returned_lines') }}
    {%- if is_incremental() %}
    where customer_id in (select customer_id from customers_to_refresh)
    {%- endif %}
),

return_counts as (
    select
        customer_id,
        sum(case when is_quick_return then 1 else 0 end) as quick_returns,
        sum(case when is_untracked then 1 else 0 end) as untracked_returns
    from accepted_returns
    group by customer_id
),

-- Returns requested at the same moment are one step of the sequence, worth
-- their sum; distinct moments order the steps without ties.
return_steps as (
    select
        customer_id,
        requested_at,
        sum(returned_value) as returned_value
    from accepted_returns
    group by customer_id, requested_at
),

step_changes as (
    select
        customer_id,
        returned_value,
        lag(returned_value) over (partition by customer_id order by requested_at) as previous_value
    from return_steps
),

escalation as (
    select
        customer_id,
        count(*) as return_steps,
        sum(case when returned_value <= previous_value then 1 else 0 end) as steps_not_rising
    from step_changes
    group by customer_id
),

patterns as (
    select
        return_metrics.customer_id,
        returned_lines.single_bracketing_orders >= 1
        or returned_lines.cross_bracketing_orders >= {{ var('bracketing_min_orders') }} as is_bracketer,
        coalesce(return_counts.quick_returns, 0) as quick_returns,
        coalesce(return_counts.untracked_returns, 0) as untracked_returns,
        coalesce(escalation.return_steps, 0) as return_steps,
        returned_lines.returned_categories,
        coalesce(
            escalation.return_steps >= {{ var('escalation_min_returns') }}
            and escalation.steps_not_rising = 0,
            false
        ) as has_rising_return_value
    from return_metrics
    inner join returned_lines
        on return_metrics.customer_id = returned_lines.customer_id
    left join return_counts
        on return_metrics.customer_id = return_counts.customer_id
    left join escalation
        on return_metrics.customer_id = escalation.customer_id
),

flags as (
    select
        customer_id,
        cast(quick_returns as integer) as quick_returns,
        cast(untracked_returns as integer) as untracked_returns,
        cast(return_steps as integer) as return_steps,
        cast(returned_categories as integer) as returned_categories,
        is_bracketer,
        quick_returns > 0 as has_quick_returns,
        untracked_returns > 0 as has_untracked_returns,
        has_rising_return_value,
        returned_categories >= {{ var('return_categories_min') }} as has_multi_category_returns
    from patterns
),

final as (
    select
        *,
        (case when is_bracketer then 1 else 0 end)
        + (case when has_quick_returns then 1 else 0 end)
        + (case when has_untracked_returns then 1 else 0 end)
        + (case when has_rising_return_value then 1 else 0 end)
        + (case when has_multi_category_returns then 1 else 0 end) as pattern_flags,
        {{ refresh_columns(ref('int_as_of_date')) }}
    from flags
)

select * from final
