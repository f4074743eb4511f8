{% macro sha256_hex(expression) -%}
    {#- Lower-case hex SHA-256 of a text's UTF-8 bytes: the hash ad and email
        platforms match customer lists on, the same on every warehouse. -#}
    {{ return(adapter.dispatch('sha256_hex', 'risk_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro duckdb__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro postgres__sha256_hex(expression) -%}
    encode(sha256(convert_to({{ expression }}, 'UTF8')), 'hex')
{%- endmacro %}

{% macro bigquery__sha256_hex(expression) -%}
    to_hex(sha256({{ expression }}))
{%- endmacro %}
