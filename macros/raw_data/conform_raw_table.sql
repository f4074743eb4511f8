{% macro conform_raw_table(table_name) %}
    {#- Select one raw table as its contract: every contract column, as text,
        under its contract name. Wherever the table comes from (see
        raw_data_mode), the same columns leave here:
        - a missing required column stops the build, naming table and column;
        - a missing optional column becomes null;
        - extra columns are ignored; column names match case-insensitively
          (trimmed), and two columns of one name stop the build;
        - a missing optional table is built empty, and the log says so; a
          required table without rows stops the build.
        Three more columns account for raw CSV records no reader could split
        into fields (see raw_csv_layout): file_line_number, the line of the
        file such a record starts on; unreadable_reason; unreadable_record,
        its text. Null on every other row, and outside CSV files. -#}
    {%- set mode = raw_data_mode() -%}
    {%- if mode == 'seeds' -%}
        {%- set relation = ref('raw_' ~ table_name) -%}
    {%- elif mode == 'warehouse' -%}
        {%- set relation = source('shop', table_name) -%}
    {%- elif target.type == 'duckdb' -%}
        {#- File mode: CSV files are read through their records table (the
            model exists in file mode on DuckDB only; other engines get the
            error of raw_file_exists below). -#}
        {%- set csv_records = ref('base_shop__csv_records') -%}
    {%- endif -%}

    {%- if not execute -%}
        {#- Parsing: the refs above are recorded; the SQL is never run. -#}
        select * from {{ relation if relation is defined else '(select 1)' }}
    {%- elif target.name == 'lint' -%}
        {#- sqlfluff compiles on the in-memory lint target, which holds no data
            to inspect: it lints the select a complete raw table gets. -#}
        select
        {%- for column in raw_table_contract(table_name).columns %}
            cast({{ column.name }} as {{ dbt.type_string() }}) as {{ column.name }},
        {%- endfor %}
            {{ no_unreadable_record_columns() }}
        from {{ relation if relation is defined else table_name }}
    {%- else -%}
        {%- set contract = raw_table_contract(table_name) -%}
        {%- set layout = none -%}
        {%- if mode == 'files' -%}
            {%- set file = raw_file(table_name) -%}
            {%- set location = "var 'raw_data_dir' (" ~ get_var('raw_data_dir') ~ ")" -%}
            {%- if file and file.format == 'csv' -%}
                {%- set layout = raw_csv_layout(table_name, file.path, csv_records) -%}
                {%- set table_expression = layout.read_expression -%}
                {%- set column_names = layout.header -%}
            {%- elif file -%}
                {%- set table_expression = read_raw_file(file) -%}
            {%- else -%}
                {%- set table_expression = none -%}
            {%- endif -%}
            {%- set location = file.path if file else location -%}
        {%- else -%}
            {%- set location = relation | string -%}
            {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
            {%- set table_expression = relation if found else none -%}
        {%- endif -%}

        {%- if table_expression is none and layout is none -%}
            {%- if contract.required -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' not found in " ~ location ~ "; it is required"
                    ~ (" (expected " ~ table_name ~ ".csv or " ~ table_name ~ ".parquet)." if mode == 'files' else ".")
                ) }}
            {%- endif -%}
            {{ log("Raw table '" ~ table_name ~ "' not found in " ~ location ~ ": building it empty.", info=true) }}
            select
            {%- for column in contract.columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
            {%- endfor %}
                {{ no_unreadable_record_columns() }}
            where 1 = 0
        {%- else -%}
            {%- if layout is none -%}
                {%- set column_names = raw_table_columns(table_expression) -%}
            {%- endif -%}
            {#- Each contract name, matched case-insensitively and trimmed, to
                its position in the table. -#}
            {%- set positions = {} -%}
            {%- for name in column_names -%}
                {%- set key = name | trim | lower -%}
                {%- if key in positions and key != '' -%}
                    {{ exceptions.raise_compiler_error(
                        "Raw table '" ~ table_name ~ "' in " ~ location ~ " has two columns named '" ~ key
                        ~ "' (columns " ~ (positions[key] + 1) ~ " and " ~ loop.index ~ ": '"
                        ~ column_names[positions[key]] ~ "' and '" ~ name
                        ~ "'; names match case-insensitively, trimmed). Rename or remove one."
                    ) }}
                {%- endif -%}
                {%- do positions.setdefault(key, loop.index0) -%}
            {%- endfor -%}
            {%- for column in contract.columns if column.required and column.name not in positions -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' in " ~ location ~ " lacks required column '" ~ column.name
                    ~ "'. Its columns: " ~ (positions.keys() | list | join(', ')) ~ "."
                    ~ (raw_csv_delimiter_hint(column_names) if layout is not none else "")
                ) }}
            {%- endfor -%}
            {%- if contract.required -%}
                {%- do check_raw_table_has_rows(table_name, location, table_expression, layout) -%}
            {%- endif -%}

            {%- if table_expression is not none -%}
            {#- Typed sources (Parquet, warehouse tables) may hold integer ids as floats. -#}
            {%- set column_types = raw_column_types(table_expression) if layout is none else {} -%}
            select
            {%- for column in contract.columns %}
                {%- if column.name in positions %}
                {%- set name = 'c' ~ positions[column.name] if layout is not none else column_names[positions[column.name]] %}
                {{ raw_column_text(adapter.quote(name), column.name, column_types.get(name | trim | lower)) }} as {{ column.name }},
                {%- else %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
                {%- endif %}
            {%- endfor %}
                {{ no_unreadable_record_columns() }}
            from {{ table_expression }}
            {%- endif %}
            {%- if layout is not none %}
            {{ "union all" if table_expression is not none }}

            select
            {%- for column in contract.columns %}
                {%- if column.name in positions %}
                fields[{{ positions[column.name] + 1 }}] as {{ column.name }},
                {%- else %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
                {%- endif %}
            {%- endfor %}
                line_number as file_line_number,
                reason as unreadable_reason,
                record_text as unreadable_record
            from {{ csv_records }}
            where source_table = '{{ table_name }}' and record_kind in ('record', 'unreadable')
            {%- endif %}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro no_unreadable_record_columns() -%}
    {#- The three columns of unreadable CSV records, null: every other row. -#}
    cast(null as {{ dbt.type_bigint() }}) as file_line_number,
    cast(null as {{ dbt.type_string() }}) as unreadable_reason,
    cast(null as {{ dbt.type_string() }}) as unreadable_record
{%- endmacro %}


{% macro raw_table_columns(table_expression) %}
    {#- The column names of a relation or a table expression such as read_parquet(...). -#}
    {%- set result = run_query("select * from " ~ table_expression ~ " where 1 = 0") -%}
    {{ return(result.column_names) }}
{% endmacro %}


{% macro raw_csv_layout(table_name, path, csv_records) %}
    {#- How to read one raw CSV file, from its row in base_shop__csv_records
        (which reads every file first, with a fixed dialect: see that model):
        {'header': column names as written, 'read_expression': the DuckDB read
        of its readable records, columns c0, c1, ... (none when Python read
        the file: its records are all in csv_records), 'record_count': data
        records, readable or not}. A file that cannot be read at all stops the
        build, naming the file and what is wrong. -#}
    {%- set query -%}
        select
            record_kind,
            reader,
            reason,
            record_text,
            cast(to_json(fields) as varchar) as fields_json,
            record_count,
            read_expression,
            (
                select count(*) from {{ csv_records }}
                where source_table = '{{ table_name }}' and record_kind = 'unreadable'
            ) as unreadable_count
        from {{ csv_records }}
        where source_table = '{{ table_name }}' and record_kind in ('header', 'problem')
    {%- endset -%}
    {%- set rows = run_query(query).rows -%}
    {%- if rows | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "': " ~ csv_records ~ " does not describe " ~ path
            ~ " (the file is newer than it): build them together, e.g. dbt build --select +base_shop__" ~ table_name ~ "."
        ) }}
    {%- endif -%}
    {%- set found = rows[0] -%}
    {%- if found['record_kind'] == 'problem' -%}
        {{ exceptions.raise_compiler_error("Raw table '" ~ table_name ~ "': " ~ path ~ " " ~ found['record_text'] ~ ".") }}
    {%- endif -%}
    {%- if found['reader'] == 'python' -%}
        {{ log("Raw table '" ~ table_name ~ "': DuckDB's strict CSV reader refused " ~ path ~ " (" ~ found['reason']
            ~ "; usually CRLF and LF line endings mixed); Python's csv module read it instead, about 20 times"
            ~ " slower (14 s a million rows). Give the file one kind of line ending (dos2unix) to read it fast.", info=true) }}
    {%- endif -%}
    {%- if found['unreadable_count'] > 0 -%}
        {{ log("Raw table '" ~ table_name ~ "': " ~ found['unreadable_count'] ~ " unreadable record(s) in " ~ path
            ~ ", rejected with their line numbers (stg_shop__rejected_rows).", info=true) }}
    {%- endif -%}
    {{ return({
        'header': fromjson(found['fields_json']),
        'read_expression': found['read_expression'],
        'record_count': found['record_count'],
    }) }}
{% endmacro %}


{% macro raw_csv_delimiter_hint(header) %}
    {#- For a CSV header of one column: the delimiter it was split at, and how
        to declare another. -#}
    {%- if header | length != 1 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set delimiter = get_var('raw_csv_delimiter') -%}
    {{ return(
        " Its header line, split at " ~ ("'\\t' (tab)" if delimiter == '\t' else "'" ~ delimiter ~ "'")
        ~ " (var 'raw_csv_delimiter'), is one column: '" ~ header[0] | truncate(80) ~ "'."
        ~ " If the file uses another delimiter, set var 'raw_csv_delimiter', e.g. --vars '{raw_csv_delimiter: \";\"}'."
    ) }}
{% endmacro %}


{% macro check_raw_table_has_rows(table_name, location, table_expression, layout) %}
    {#- A required raw table with no data rows stops the build: an empty export
        is a failed export, not a shop without customers. -#}
    {%- if layout is not none -%}
        {%- set has_rows = layout.record_count > 0 -%}
    {%- else -%}
        {%- set has_rows = run_query("select 1 from " ~ table_expression ~ " limit 1").rows | length > 0 -%}
    {%- endif -%}
    {%- if not has_rows -%}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "' in " ~ location ~ " has no data rows"
            ~ (" (only a header line)" if layout is not none else "") ~ "; it is required."
        ) }}
    {%- endif -%}
{% endmacro %}
