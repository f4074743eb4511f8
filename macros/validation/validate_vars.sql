{% macro validate_vars() %}
    {#- The one place vars are checked (an on-run-start hook): every var of
        var_rules() against its form, and the rules that tie vars together, so
        a bad value stops the run before any model runs, whatever is selected,
        with the var, the value and the accepted form. Models read plain
        var(); their Jinja never computes with a value (arithmetic stays in
        the SQL), so parsing, which comes before this hook, never fails on a
        bad one. `dbt compile` and `dbt show` run no hooks: they check nothing. -#}
    {%- for name, rule in var_rules().items() -%}
        {%- do check_var(name, rule) -%}
    {%- endfor -%}
    {%- do check_vars_ascending('customer_age_min', 'customer_age_max') -%}
    {%- do check_vars_ascending('lifecycle_active_days', 'lifecycle_lapsed_days') -%}
    {%- do raw_data_mode() -%}
    select 1 {#- on-run-start needs a statement -#}
{% endmacro %}


{% macro check_vars_ascending(low_name, high_name) %}
    {#- Stops the run unless var low_name is below var high_name (both checked). -#}
    {%- set low, high = as_number(var(low_name)), as_number(var(high_name)) -%}
    {%- if low >= high -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars '" ~ low_name ~ "' (" ~ low ~ ") and '" ~ high_name ~ "' ("
            ~ high ~ "): the first must be below the second."
        ) }}
    {%- endif -%}
{% endmacro %}
