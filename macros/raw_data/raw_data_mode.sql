{% macro raw_data_mode() %}
    {#- Where the raw tables come from: 'files' (var raw_data_dir), 'warehouse'
        (var raw_schema) or 'seeds' (the shipped sample, the default). -#}
    {%- if get_var('raw_data_dir') and get_var('raw_schema') -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars 'raw_data_dir' and 'raw_schema': set one of them (files or warehouse tables), not both."
        ) }}
    {%- elif get_var('raw_data_dir') -%}
        {{ return('files') }}
    {%- elif get_var('raw_schema') -%}
        {{ return('warehouse') }}
    {%- endif -%}
    {{ return('seeds') }}
{% endmacro %}
