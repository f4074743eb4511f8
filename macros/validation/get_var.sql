{% macro get_var(name) %}
    {#- var(name), checked against var_rules(): a bad value stops the build with a
        message naming the var, the value and the accepted form. -#}
    {%- set rules = var_rules() -%}
    {%- if name not in rules -%}
        {{ exceptions.raise_compiler_error("get_var: var '" ~ name ~ "' has no rule in var_rules()") }}
    {%- endif -%}
    {%- set rule = rules[name] -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value is string and value | trim == '') -%}
        {%- if rule.get('nullable', false) -%}
            {{ return(none) }}
        {%- endif -%}
        {{ invalid_var(name, value, rule) }}
    {%- endif -%}

    {%- if rule.kind == 'integer' -%}
        {%- if value is string and modules.re.fullmatch('[+-]?[0-9]+', value | trim) -%}
            {%- set value = value | trim | int -%}
        {%- elif value is not number or value is boolean or value != value | int -%}
            {{ invalid_var(name, value, rule) }}
        {%- endif -%}
        {%- set value = value | int -%}
        {%- if ('min' in rule and value < rule.min) or ('max' in rule and value > rule.max) -%}
            {{ invalid_var(name, value, rule) }}
        {%- endif -%}
    {%- elif rule.kind == 'text' -%}
        {%- if value is not string -%}
            {{ invalid_var(name, value, rule) }}
        {%- endif -%}
        {%- set value = value | trim -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error("get_var: unknown kind '" ~ rule.kind ~ "' for var '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}


{% macro var_form(rule) %}
    {%- if rule.get('form') -%}
        {{ return(rule.form) }}
    {%- elif rule.kind == 'integer' -%}
        {{ return('an integer from ' ~ rule.min ~ ' to ' ~ rule.max) }}
    {%- endif -%}
    {{ return(rule.kind) }}
{% endmacro %}


{% macro invalid_var(name, value, rule) %}
    {{ exceptions.raise_compiler_error(
        "Invalid value for var '" ~ name ~ "': got " ~ (value | tojson) ~ "; expected " ~ var_form(rule) ~ "."
    ) }}
{% endmacro %}
