{% macro as_of_date_override() -%}
    {#- The as-of date fixed by var as_of_date, as a SQL date literal, or none
        when the var is unset (the data decides: see int_as_of_date). 'today' is
        the current UTC date, resolved once here so every model and warehouse
        of a build uses the same day. -#}
    {%- set value = var('as_of_date') | string | trim if var('as_of_date') is not none else none -%}
    {%- if value is none -%}
        {{ return(none) }}
    {%- elif value == 'today' -%}
        {%- set value = modules.datetime.datetime.utcnow().strftime('%Y-%m-%d') -%}
    {%- endif -%}
    {{ return("cast('" ~ value ~ "' as date)") }}
{%- endmacro %}
