-- int_customer_changes and the order lines: the changes followed by the
-- incremental models that read order lines (accepted returns, line returns,
-- bracketing, return metrics and patterns). A line carries its order, whose
-- current row in int_customer_changes names the customer. A view, like
-- int_customer_changes.
{{ config(materialized='view') }}

with

customer_changes as (
    select * from {{ ref('int_customer_changes') }}
),

order_item_rows as (
    select * from {{ ref('stg_shop__order_item_rows') }}
),

final as (
    select
        customer_id,
        order_id,
        staged_at,
        activity_at,
        is_current_order
    from customer_changes

    union all

    select
        cast(null as {{ dbt.type_string() }}) as customer_id,
        order_id,
        staged_at,
        cast(null as timestamp) as activity_at,
        false as is_current_order
    from order_item_rows
    where order_id is not null
)

select * from final
