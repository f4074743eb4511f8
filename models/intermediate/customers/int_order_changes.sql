-- The changes that name an order - its rows, its lines and its returns -
-- without the customer rows: what the incremental models keyed by order that
-- read no customer row follow (accepted returns, line returns, bracketing).
-- A new export of a customer changes only is_orphan_customer of its orders,
-- which none of them reads, so they skip looking the customer's orders up
-- among all current order rows (at L, 2.6 s a model on every daily build).
-- int_counted_orders, which stores is_orphan_customer, follows
-- int_customer_changes. A view, like the others.
{{ config(materialized='view') }}

with

changes as (
    select * from {{ ref('int_customer_changes_with_lines') }}
),

final as (
    select
        customer_id,
        order_id,
        staged_at,
        activity_at,
        is_current_order
    from changes
    where order_id is not null
)

select * from final
