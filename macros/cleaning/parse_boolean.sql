{% macro parse_boolean(expression) -%}
    {#- Trimmed text (see clean_text): true/false, yes/no, y/n, t/f and 1/0 in any
        case; anything else is null. -#}
    case
        when lower({{ expression }}) in ('true', 't', 'yes', 'y', '1') then true
        when lower({{ expression }}) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}
