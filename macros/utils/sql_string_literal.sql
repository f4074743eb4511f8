{% macro sql_string_literal(text) %}
    {#- A SQL string literal, quotes doubled. -#}
    {{ return("'" ~ (text | string | replace("'", "''")) ~ "'") }}
{% endmacro %}
