{% macro validate_vars() %}
    {#- Runs at on-run-start: every var is checked, and the rules that tie vars
        together, so a bad value stops the build before any model runs. -#}
    {%- for name in var_rules() -%}
        {%- do get_var(name) -%}
    {%- endfor -%}
    {%- if get_var('customer_age_min') >= get_var('customer_age_max') -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars 'customer_age_min' (" ~ get_var('customer_age_min') ~ ") and 'customer_age_max' ("
            ~ get_var('customer_age_max') ~ "): the minimum must be below the maximum."
        ) }}
    {%- endif -%}
    {%- if get_var('raw_data_dir') and get_var('raw_schema') -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars 'raw_data_dir' and 'raw_schema': set one of them (files or warehouse tables), not both."
        ) }}
    {%- endif -%}
    select 1 {#- on-run-start needs a statement -#}
{% endmacro %}
