{% macro parse_decimal(expression) -%}
    {#- Trimmed text (see clean_text) holding a plain decimal number ("12.5",
        "-3", ".75"; no thousands separators, currency signs or exponents) as
        decimal(18, 4), else null. At most 13 digits before the point, so that
        rounding to 4 decimals can never overflow the type. -#}
    case
        when {{ regexp_matches(expression, '^[+-]?([0-9]{1,13}([.][0-9]*)?|[.][0-9]+)$') }}
            then cast({{ expression }} as decimal(18, 4))
    end
{%- endmacro %}
