{% macro sql_list(values) -%}
    {#- A list of strings as a SQL list of literals: ('a', 'b'). A var not
        checked yet (parsing) may be no list: it renders (). -#}
    ({%- for value in (values if values is iterable else []) -%}{{ sql_string_literal(value) }}{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}
