{% macro conform_raw_table(table_name) %}
    {#- Select one raw table as its contract: every contract column, as text,
        under its contract name. Wherever the table comes from (see
        raw_data_mode), the same columns leave here:
        - a missing required column stops the build, naming table and column;
        - a missing optional column becomes null;
        - extra columns are ignored; column names match case-insensitively;
        - a missing optional table is built empty, and the log says so. -#}
    {%- set mode = raw_data_mode() -%}
    {%- if mode == 'seeds' -%}
        {%- set relation = ref('raw_' ~ table_name) -%}
    {%- elif mode == 'warehouse' -%}
        {%- set relation = source('shop', table_name) -%}
    {%- endif -%}

    {%- if not execute -%}
        {#- Parsing: the refs above are recorded; the SQL is never run. -#}
        select * from {{ relation if relation is defined else '(select 1)' }}
    {%- elif target.name == 'lint' -%}
        {#- sqlfluff compiles on the in-memory lint target, which holds no data
            to inspect: it lints the select a complete raw table gets. -#}
        select
        {%- for column in raw_table_contract(table_name).columns %}
            cast({{ column.name }} as {{ dbt.type_string() }}) as {{ column.name }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ relation if relation is defined else table_name }}
    {%- else -%}
        {%- set contract = raw_table_contract(table_name) -%}
        {%- if mode == 'files' -%}
            {%- set file = raw_file(table_name) -%}
            {%- set location = "var 'raw_data_dir' (" ~ get_var('raw_data_dir') ~ ")" -%}
            {%- set table_expression = read_raw_file(file) if file else none -%}
        {%- else -%}
            {%- set location = relation | string -%}
            {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
            {%- set table_expression = relation if found else none -%}
        {%- endif -%}

        {%- if table_expression is none -%}
            {%- if contract.required -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' not found in " ~ location ~ "; it is required"
                    ~ (" (expected " ~ table_name ~ ".csv or " ~ table_name ~ ".parquet)." if mode == 'files' else ".")
                ) }}
            {%- endif -%}
            {{ log("Raw table '" ~ table_name ~ "' not found in " ~ location ~ ": building it empty.", info=true) }}
            select
            {%- for column in contract.columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }}{{ "," if not loop.last }}
            {%- endfor %}
            where 1 = 0
        {%- else -%}
            {%- set available = {} -%}
            {%- for name in raw_table_columns(table_expression) -%}
                {%- do available.setdefault(name | trim | lower, name) -%}
            {%- endfor -%}
            {%- for column in contract.columns if column.required and column.name not in available -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' in " ~ location ~ " lacks required column '" ~ column.name
                    ~ "'. Its columns: " ~ (available.keys() | list | join(', ')) ~ "."
                ) }}
            {%- endfor -%}
            select
            {%- for column in contract.columns %}
                {%- if column.name in available %}
                cast({{ adapter.quote(available[column.name]) }} as {{ dbt.type_string() }}) as {{ column.name }}
                {%- else %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }}
                {%- endif %}{{ "," if not loop.last }}
            {%- endfor %}
            from {{ table_expression }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro raw_table_columns(table_expression) %}
    {#- The column names of a relation or a table expression such as read_csv(...). -#}
    {%- set result = run_query("select * from " ~ table_expression ~ " where 1 = 0") -%}
    {{ return(result.column_names) }}
{% endmacro %}
