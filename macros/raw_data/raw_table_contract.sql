{% macro raw_table_contract(table_name) %}
    {#- The contract of one raw table, read from the source definition in
        models/staging/shop/_shop__sources.yml: {'required': bool, 'columns':
        [{'name': ..., 'required': bool}, ...]}. Needs the graph, so only at
        execution time. -#}
    {%- set source_node = graph.sources.get('source.risk_segmentation.shop.' ~ table_name) -%}
    {%- if source_node is none -%}
        {{ exceptions.raise_compiler_error("raw_table_contract: source shop." ~ table_name ~ " is not declared") }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in source_node.columns.values() -%}
        {%- set meta = column.get('config', {}).get('meta', {}) or column.get('meta', {}) -%}
        {%- do columns.append({'name': column.name | lower, 'required': meta.get('required', false)}) -%}
    {%- endfor -%}
    {%- set table_meta = source_node.get('config', {}).get('meta', {}) or source_node.get('meta', {}) -%}
    {{ return({'required': table_meta.get('required_table', true), 'columns': columns}) }}
{% endmacro %}
