{% macro clean_text(expression) -%}
    {#- Trimmed text; blank becomes null. -#}
    nullif(trim({{ expression }}), '')
{%- endmacro %}
