{% macro raw_data_mode() %}
    {#- Where the raw tables come from: 'files' (var raw_data_dir), 'warehouse'
        (var raw_schema) or 'seeds' (the shipped sample, the default when the
        project runs on its own). -#}
    {%- if var('raw_data_dir') and var('raw_schema') -%}
        {{ exceptions.raise_compiler_error(
            "Invalid vars 'raw_data_dir' and 'raw_schema': set one of them (files or warehouse tables), not both."
        ) }}
    {%- elif var('raw_data_dir') -%}
        {{ return('files') }}
    {%- elif var('raw_schema') -%}
        {{ return('warehouse') }}
    {%- elif project_name != 'risk_segmentation'
        and not (model is defined and model is not none and model.resource_type == 'unit_test') -%}
        {#- Installed as a package: the sample seeds are the stand-alone
            project's demo, never a host project's data (unit tests, which
            pin every var, read their given rows instead). -#}
        {{ exceptions.raise_compiler_error(
            "risk_segmentation is installed as a package of project '" ~ project_name ~ "': set var raw_schema"
            ~ " (the schema of your raw tables) or raw_data_dir (a folder of raw files) in its dbt_project.yml."
        ) }}
    {%- endif -%}
    {{ return('seeds') }}
{% endmacro %}
