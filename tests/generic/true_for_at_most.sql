{% test true_for_at_most(model, column_name, share) %}
    {#- The boolean column is true for at most `share` (0 to 1) of the rows;
        returns one row with the actual share when it is above. Used with
        severity warn where a high share means a likely mistake upstream
        rather than bad rows (e.g. orphan orders from a wrong id type). -#}
    with

    shares as (
        select
            sum(case when {{ column_name }} then 1 else 0 end) as true_rows,
            count(*) as all_rows
        from {{ model }}
    )

    select
        true_rows,
        all_rows,
        cast(true_rows as {{ type_double() }}) / all_rows as true_share
    from shares
    where true_rows > {{ share }} * all_rows
{% endtest %}
