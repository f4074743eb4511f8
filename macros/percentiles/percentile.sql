{% macro percentile(expression, fraction, method) -%}
    {#- percentile_cont or percentile_disc, by method ('cont' or 'disc'). -#}
    {%- if method == 'cont' -%}
        {{ percentile_cont(expression, fraction) }}
    {%- elif method == 'disc' -%}
        {{ percentile_disc(expression, fraction) }}
    {%- elif execute -%}  {#- parsing may see a var validate_vars() has not checked yet -#}
        {{ exceptions.raise_compiler_error("percentile: method must be 'cont' or 'disc', got '" ~ method ~ "'") }}
    {%- endif -%}
{%- endmacro %}
