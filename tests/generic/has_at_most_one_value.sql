{% test has_at_most_one_value(model, column_name) %}
    {#- The column holds one distinct non-null value at most (e.g. one currency
        per dataset); returns the values when there are several. -#}
    with

    distinct_values as (
        select distinct {{ column_name }} as column_value
        from {{ model }}
        where {{ column_name }} is not null
    )

    select column_value
    from distinct_values
    where (select count(*) from distinct_values) > 1
{% endtest %}
