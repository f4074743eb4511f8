{% macro title_case(expression) -%}
    {#- Every word's first letter upper case, the rest lower case. -#}
    {{ return(adapter.dispatch('title_case', 'risk_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__title_case(expression) -%}
    initcap({{ expression }})
{%- endmacro %}

{% macro duckdb__title_case(expression) -%}
    {#- DuckDB has no initcap. -#}
    array_to_string(
        list_transform(string_split(lower({{ expression }}), ' '), lambda word: upper(left(word, 1)) || substr(word, 2)),
        ' '
    )
{%- endmacro %}
