-- The five return patterns (docs/definitions.md §6), one row per
-- purchasing customer: bracketing (ordering several sizes or colours of one
-- product to keep one and return the rest: one single-order bracketing order,
-- or var bracketing_min_orders cross-order ones, per order in
-- int_order_bracketing); a return within var quick_return_hours of
-- delivery (wear-and-return); a return whose tracking was not confirmed; the
-- returned value rising over successive returns (at least var
-- escalation_min_returns of them, each worth more than the one before);
-- returned goods from var return_categories_min or more categories.
-- pattern_flags counts the patterns present (0-5). Incremental by customer
-- (macros/incremental/incremental_builds.sql).
{%- set scope = refresh_scope('customer_id', 'customers_and_lines') %}
{{ config(pre_hook=refresh_pre_hook(scope)) }}

with

-- Read by incremental builds only: a full build leaves it unused (ST03).
customers_to_refresh as (  -- noqa: ST03
    {{ keys_to_refresh(scope) }}
),

return_metrics as (
    select * from {{ ref('int_customer_return_metrics') }}
    where {{ refreshed_only('customer_id', scope) }}
),

accepted_returns as (
    select * from {{ ref('int_accepted_returns') }}
    where {{ refreshed_only('customer_id', scope) }}
),

returned_lines as (
    select * from {{ ref('int_order_line_returns') }}
    where {{ refreshed_only('customer_id', scope) }}
),

bracketing_orders as (
    select * from {{ ref('int_order_bracketing') }}
    where {{ refreshed_only('customer_id', scope) }}
),

bracketing as (
    select
        customer_id,
        sum(case when is_single_order_bracketing then 1 else 0 end) >= 1
        or sum(case when is_cross_order_bracketing then 1 else 0 end)
        >= {{ var('bracketing_min_orders') }} as is_bracketer
    from bracketing_orders
    group by customer_id
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

returned_categories as (
    select
        customer_id,
        count(distinct category) as returned_categories
    from returned_lines
    group by customer_id
),

patterns as (
    select
        return_metrics.customer_id,
        coalesce(bracketing.is_bracketer, false) as is_bracketer,
        coalesce(return_counts.quick_returns, 0) as quick_returns,
        coalesce(return_counts.untracked_returns, 0) as untracked_returns,
        coalesce(escalation.return_steps, 0) as return_steps,
        coalesce(returned_categories.returned_categories, 0) as returned_categories,
        coalesce(
            escalation.return_steps >= {{ var('escalation_min_returns') }}
            and escalation.steps_not_rising = 0,
            false
        ) as has_rising_return_value
    from return_metrics
    left join bracketing
        on return_metrics.customer_id = bracketing.customer_id
    left join return_counts
        on return_metrics.customer_id = return_counts.customer_id
    left join escalation
        on return_metrics.customer_id = escalation.customer_id
    left join returned_categories
        on return_metrics.customer_id = returned_categories.customer_id
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
        {{ refresh_columns() }}
    from flags
)

select * from final
