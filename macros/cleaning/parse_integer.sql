{% macro parse_integer(expression) -%}
    {#- Trimmed text (see clean_text) holding a whole number in digits (a sign,
        and a trailing ".0" as spreadsheets write integers, allowed), else null.
        The pattern, not the engine's cast, decides what parses, so every
        warehouse accepts the same values. -#}
    case
        when {{ regexp_matches(expression, '^[+-]?[0-9]{1,15}([.]0+)?$') }}
            then cast(cast({{ expression }} as decimal(18, 2)) as bigint)
    end
{%- endmacro %}
