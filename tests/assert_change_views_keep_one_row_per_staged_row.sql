-- The grain of the two change views, which have no key of their own: one row
-- per staged row that names a customer or an order, none lost or repeated.
-- int_customer_changes holds the customer, order and return rows;
-- int_customer_changes_with_lines those and the order line rows. Returns a
-- row per view whose count differs from the staged rows it stands for.
with

customer_rows as (
    select * from {{ ref('stg_shop__customer_rows') }}
),

order_rows as (
    select * from {{ ref('stg_shop__order_rows') }}
),

order_item_rows as (
    select * from {{ ref('stg_shop__order_item_rows') }}
),

return_rows as (
    select * from {{ ref('stg_shop__return_rows') }}
),

customer_changes as (
    select * from {{ ref('int_customer_changes') }}
),

customer_changes_with_lines as (
    select * from {{ ref('int_customer_changes_with_lines') }}
),

customer_keys as (
    select count(*) as staged_rows from customer_rows
    where customer_id is not null
),

order_keys as (
    select count(*) as staged_rows from order_rows
    where customer_id is not null or order_id is not null
),

return_keys as (
    select count(*) as staged_rows from return_rows
    where order_id is not null
),

line_keys as (
    select count(*) as staged_rows from order_item_rows
    where order_id is not null
),

staged as (
    select
        customer_keys.staged_rows + order_keys.staged_rows + return_keys.staged_rows as rows_without_lines,
        line_keys.staged_rows as line_rows
    from customer_keys
    cross join order_keys
    cross join return_keys
    cross join line_keys
),

counted as (
    select
        'int_customer_changes' as view_name,
        (select count(*) from customer_changes) as view_rows,
        staged.rows_without_lines as staged_rows
    from staged

    union all

    select
        'int_customer_changes_with_lines' as view_name,
        (select count(*) from customer_changes_with_lines) as view_rows,
        staged.rows_without_lines + staged.line_rows as staged_rows
    from staged
)

select * from counted
where view_rows <> staged_rows
