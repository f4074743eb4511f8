{% macro grant_schema_usage(built_schemas) %}
    {#- dbt's `grants` give roles select on relations, but on most warehouses a
        role also needs usage on the schema to reach them. For each schema this
        run built that holds a relation with select grants (the marts schema),
        grant usage to exactly those roles - never on the private staging,
        intermediate and seeds schemas, whose relations have no grants. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set roles_by_schema = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type in ['model', 'snapshot', 'seed'] -%}
        {%- set roles = (node.config.grants or {}).get('select', []) -%}
        {%- if roles and node.schema in built_schemas -%}
            {%- set schema_roles = roles_by_schema.setdefault(node.schema, []) -%}
            {%- for role in roles if role not in schema_roles -%}
                {%- do schema_roles.append(role) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('grant_schema_usage', 'risk_segmentation')(roles_by_schema)) }}
{% endmacro %}

{% macro default__grant_schema_usage(roles_by_schema) %}
    {#- DuckDB has no roles; other warehouses: add an implementation here. -#}
    {{ return('') }}
{% endmacro %}

{% macro postgres__grant_schema_usage(roles_by_schema) %}
    {%- set statements = [] -%}
    {%- for schema, roles in roles_by_schema.items() | sort -%}
        {%- do statements.append('grant usage on schema ' ~ adapter.quote(schema) ~ ' to ' ~ roles | join(', ')) -%}
    {%- endfor -%}
    {{ return(statements | join(';\n')) }}
{% endmacro %}
