{% macro data_test_error(message) %}
    {#- A SQL expression that stops the query with `message` (a text
        expression) as its error, for a data test whose failure must say more
        than dbt's "Got 1 result" (loses_at_most_max_rejected_share). Evaluated
        only on the rows the test returns. -#}
    {{ return(adapter.dispatch('data_test_error', 'risk_segmentation')(message)) }}
{% endmacro %}

{% macro default__data_test_error(message) -%}
    {#- Postgres and others: no error function; a text that is no integer
        fails the cast, quoting the text. -#}
    cast({{ message }} as integer)
{%- endmacro %}

{% macro duckdb__data_test_error(message) -%}
    error({{ message }})
{%- endmacro %}

{% macro spark__data_test_error(message) -%}
    raise_error({{ message }})
{%- endmacro %}
