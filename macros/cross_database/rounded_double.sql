{% macro rounded_double(expression, decimals=12) -%}
    {#- A double rounded to `decimals` decimal places, through a decimal cast
        (Postgres has no round() of a double to places). For figures built
        from sums of doubles: a parallel sum adds in no fixed order, so two
        builds of the same rows may differ in the last bits; rounded, they
        agree. -#}
    cast(cast({{ expression }} as decimal(28, {{ decimals }})) as {{ type_double() }})
{%- endmacro %}
