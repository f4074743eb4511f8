-- How many raw rows staging could not use, per table and reason: the first
-- query to run on a new dataset. `dbt compile --select rejected_rows_by_reason`
-- writes the SQL to target/compiled/.
with

rejected_rows as (
    select * from {{ ref('stg_shop__rejected_rows') }}
),

final as (
    select
        source_table,
        rejection_reason,
        count(*) as rejected_rows
    from rejected_rows
    group by source_table, rejection_reason
)

select * from final
order by source_table asc, rejected_rows desc
