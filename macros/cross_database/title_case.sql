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

{% macro postgres__title_case(expression) -%}
    {#- Postgres' initcap also capitalises after hyphens and apostrophes
        ("Saint-Denis"): split on spaces only, as DuckDB and Spark do. -#}
    (
        select string_agg(upper(left(word, 1)) || substr(word, 2), ' ' order by position)
        from unnest(string_to_array(lower({{ expression }}), ' ')) with ordinality as words (word, position)
    )
{%- endmacro %}
