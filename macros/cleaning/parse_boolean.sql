{% macro parse_boolean(expression) -%}
    {#- true/false, yes/no, y/n, t/f and 1/0 in any case; anything else is null. -#}
    case
        when lower(trim({{ expression }})) in ('true', 't', 'yes', 'y', '1') then true
        when lower(trim({{ expression }})) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}
