{% macro validate_vars() %}
    {#- Runs at on-run-start: every var is checked, and the rules that tie vars
        together, so a bad value stops the build before any model runs. -#}
    {%- for name in var_rules() -%}
        {%- do get_var(name) -%}
    {%- endfor -%}
    {%- do check_vars_ascending('customer_age_min', 'customer_age_max') -%}
    {%- do check_vars_ascending('lifecycle_active_days', 'lifecycle_lapsed_days') -%}
    {%- do raw_data_mode() -%}
    select 1 {#- on-run-start needs a statement -#}
{% endmacro %}


{% macro check_vars_ascending(low_name, high_name) %}
    {#- Stops the build unless var low_name is below var high_name. -#}
    {%- if get_var(low_name) >= get_var(high_name) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars '" ~ low_name ~ "' (" ~ get_var(low_name) ~ ") and '" ~ high_name ~ "' ("
            ~ get_var(high_name) ~ "): the first must be below the second."
        ) }}
    {%- endif -%}
{% endmacro %}
