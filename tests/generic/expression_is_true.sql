{% test expression_is_true(model, expression, column_name=none) %}
    {#- Every row satisfies the expression; the rows that do not are returned.
        Applied to a column, the expression follows the column name
        (expression: ">= 0"). -#}
    select *
    from {{ model }}
    where not coalesce(({{ column_name ~ ' ' if column_name }}{{ expression }}), false)
{% endtest %}
