{% macro sql_list(values) -%}
    {#- A list of strings as a SQL list of literals: ('a', 'b'). -#}
    ({%- for value in values -%}{{ sql_string_literal(value) }}{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}
