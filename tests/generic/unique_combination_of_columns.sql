{% test unique_combination_of_columns(model, combination_of_columns) %}
    {#- No two rows share the same values of these columns: a compound key. -#}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
