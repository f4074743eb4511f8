{% macro parse_integer(expression) -%}
    {#- A whole number written in digits (sign and surrounding spaces allowed; a
        trailing ".0", as spreadsheets write integers, too), else null. The
        pattern, not the engine's cast, decides what parses, so every warehouse
        accepts the same values. -#}
    case
        when {{ regexp_matches('trim(' ~ expression ~ ')', '^[+-]?[0-9]{1,15}([.]0+)?$') }}
            then cast(cast(trim({{ expression }}) as decimal(18, 2)) as bigint)
    end
{%- endmacro %}
