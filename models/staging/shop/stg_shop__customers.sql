-- Clean customers: the latest version of each, typed and tidied.
with

customer_rows as (
    select * from {{ ref('stg_shop__customer_rows') }}
),

final as (
    select
        customer_id,
        email,
        full_name,
        age,
        gender,
        location,
        created_at,
        updated_at
    from customer_rows
    where row_disposition = 'clean'
)

select * from final
