{% macro raw_column_text(column_expression, column_name, data_type) %}
    {#- A raw column as text, for the contract. An id column (`*_id`) of a
        floating or decimal type holds an integer written as 564.0 when
        pandas or a warehouse stored an integer column with nulls as floats:
        an integral value becomes the integer it is ('564'), or it would never
        match the same id written 564 in another table, and its orders would
        turn orphan. Every other value is cast as it is. -#}
    {%- set type_name = (data_type or '') | lower -%}
    {%- set is_fractional = type_name.startswith(('float', 'double', 'real', 'decimal', 'numeric')) -%}
    {%- if column_name.endswith('_id') and is_fractional -%}
        case
            when {{ column_expression }} = floor({{ column_expression }}) and abs({{ column_expression }}) < 1e18
                then cast(cast({{ column_expression }} as bigint) as {{ dbt.type_string() }})
            else cast({{ column_expression }} as {{ dbt.type_string() }})
        end
    {%- else -%}
        cast({{ column_expression }} as {{ dbt.type_string() }})
    {%- endif -%}
{% endmacro %}


{% macro raw_column_types(table_expression) %}
    {#- {lower-case column name: type name} of a relation or a table expression
        such as read_parquet(...). -#}
    {{ return(adapter.dispatch('raw_column_types', 'risk_segmentation')(table_expression)) }}
{% endmacro %}

{% macro default__raw_column_types(table_expression) %}
    {%- set types = {} -%}
    {%- for column in adapter.get_columns_in_relation(table_expression) -%}
        {%- do types.update({column.name | trim | lower: column.dtype}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}

{% macro duckdb__raw_column_types(table_expression) %}
    {%- set described = run_query("describe select * from " ~ table_expression) -%}
    {%- set types = {} -%}
    {%- for row in described.rows -%}
        {%- do types.update({row[0] | trim | lower: row[1]}) -%}
    {%- endfor -%}
    {{ return(types) }}
{% endmacro %}
