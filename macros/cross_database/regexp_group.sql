{% macro regexp_group(expression, pattern, group) -%}
    {#- The text of one capture group of pattern in expression, or null. -#}
    {{ return(adapter.dispatch('regexp_group', 'risk_segmentation')(expression, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_group(expression, pattern, group) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro postgres__regexp_group(expression, pattern, group) -%}
    (regexp_match({{ expression }}, '{{ pattern }}'))[{{ group }}]
{%- endmacro %}
