{% test is_empty(model) %}
    {#- Passes when the model has no rows: for rule models whose rows are violations. -#}
    select * from {{ model }}
{% endtest %}
