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
        into fields (see raw_csv_groups): file_line_number, the line of the
        file such a record starts on; unreadable_reason; unreadable_record,
        its text. Null on every other row, and outside CSV files. Then
        physical_lines: the lines of the CSV file the record spans (1, or more
        for a quoted field holding line breaks), null outside CSV files; the
        test accounts_for_every_line adds them up. And load_id: the load a row
        arrived in (see raw_table_parts), null when the table is not batched;
        incremental staging reads only new loads. -#}
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
            {{ no_unreadable_record_columns() }},
            cast(null as {{ dbt.type_bigint() }}) as physical_lines,
            cast(null as {{ dbt.type_string() }}) as load_id
        from {{ relation if relation is defined else table_name }}
    {%- else -%}
        {%- set contract = raw_table_contract(table_name) -%}
        {%- set parts = raw_table_parts(table_name, mode, relation, csv_records) -%}
        {%- if parts | length == 0 -%}
            {%- set location = "var 'raw_data_dir' (" ~ var('raw_data_dir') ~ ")" if mode == 'files' else relation | string -%}
            {%- if contract.required -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' not found in " ~ location ~ "; it is required"
                    ~ (" (expected " ~ table_name ~ ".csv, " ~ table_name ~ ".parquet or a folder " ~ table_name
                        ~ "/ of load files)." if mode == 'files' else ".")
                ) }}
            {%- endif -%}
            {{ log("Raw table '" ~ table_name ~ "' not found in " ~ location ~ ": building it empty.", info=true) }}
            select
            {%- for column in contract.columns %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
            {%- endfor %}
                {{ no_unreadable_record_columns() }},
                cast(null as {{ dbt.type_bigint() }}) as physical_lines,
                cast(null as {{ dbt.type_string() }}) as load_id
            where 1 = 0
        {%- else -%}
            {%- set selects = [] -%}
            {%- set has_rows = [] -%}
            {%- for part in parts -%}
                {%- do selects.append(conform_raw_part(table_name, contract, part, csv_records)) -%}
                {%- if contract.required and not has_rows and raw_part_has_rows(part) -%}
                    {%- do has_rows.append(true) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if contract.required and not has_rows -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table_name ~ "' in " ~ (parts | map(attribute='location') | join(', ') | truncate(300))
                    ~ " has no data rows" ~ (" (only a header line)" if parts[0].layout is not none else "")
                    ~ "; it is required."
                ) }}
            {%- endif -%}
            {{ selects | join('\n\n            union all\n') }}
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


{% macro raw_csv_groups(table_name, files, csv_records) %}
    {#- How to read one raw table's CSV files (`files`, see raw_files), from
        base_shop__csv_records, which reads every file first with a fixed
        dialect (see that model): one layout per group of files read together,
        {'header': column names as written, 'read_expression': the DuckDB read
        of their readable records, columns c0, c1, ... and filename (none when
        Python read the file: its records are all in csv_records), 'read_group',
        'location', 'record_count': data records, readable or not}. A file that
        cannot be read at all stops the build, naming the file and what is
        wrong; so does a file csv_records has not read (it is older). -#}
    {%- set query -%}
        select
            record_kind,
            reader,
            reason,
            record_text,
            source_file,
            read_group,
            cast(to_json(fields) as varchar) as fields_json,
            cast(to_json(source_files) as varchar) as files_json,
            record_count,
            read_expression,
            (
                select count(*) from {{ csv_records }} as unreadable
                where unreadable.read_group = groups.read_group and unreadable.record_kind = 'unreadable'
            ) as unreadable_count
        from {{ csv_records }} as groups
        where source_table = '{{ table_name }}' and record_kind in ('header', 'problem')
        order by record_kind desc, read_group
    {%- endset -%}
    {%- set read = [] -%}
    {%- set layouts = [] -%}
    {%- for found in run_query(query).rows -%}
        {%- if found['record_kind'] == 'problem' -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "': " ~ found['source_file'] ~ " " ~ found['record_text'] ~ "."
            ) }}
        {%- endif -%}
        {%- set group_files = fromjson(found['files_json']) -%}
        {%- do read.extend(group_files) -%}
        {%- set location = group_files[0] ~ (" and " ~ (group_files | length - 1) ~ " other file(s)" if group_files | length > 1 else "") -%}
        {%- if found['reader'] == 'python' -%}
            {#- Why DuckDB did not read it: the causes of base_shop__csv_records. -#}
            {%- set why = {
                'strict_reader_refused': "DuckDB's strict CSV reader refused it (" ~ found['record_text']
                    ~ "; usually CRLF and LF line endings mixed). Give the file one kind of line ending (dos2unix)"
                    ~ " to read it fast",
                'unreadable_record_spans_lines': "a record no reader can split, starting on " ~ found['record_text']
                    ~ ", spans several lines (a quoted field that never closes, or closes lines later), and DuckDB"
                    ~ " cannot resume at the next line. That line is rejected alone (broken_quoting) and every line"
                    ~ " after it is read again. Fix the quote to read the file fast",
                'records_do_not_add_up_to_lines': "DuckDB's records do not add up to its lines ("
                    ~ found['record_text'] ~ ")",
            } -%}
            {{ log("Raw table '" ~ table_name ~ "': Python's csv module read " ~ location ~ ", about 20 times slower"
                ~ " than DuckDB (14 s a million rows): " ~ why.get(found['reason'], found['reason']) ~ ".", info=true) }}
        {%- endif -%}
        {%- if found['unreadable_count'] > 0 -%}
            {{ log("Raw table '" ~ table_name ~ "': " ~ found['unreadable_count'] ~ " unreadable record(s) in " ~ location
                ~ ", rejected with their line numbers (stg_shop__rejected_rows).", info=true) }}
        {%- endif -%}
        {%- do layouts.append({
            'header': fromjson(found['fields_json']),
            'read_expression': found['read_expression'],
            'read_group': found['read_group'],
            'location': location,
            'record_count': found['record_count'],
        }) -%}
    {%- endfor -%}
    {%- for file in files if file.path not in read -%}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "': " ~ csv_records ~ " does not describe " ~ file.path
            ~ " (the file is newer than it): build them together, e.g. dbt build --select +base_shop__" ~ table_name ~ "."
        ) }}
    {%- endfor -%}
    {{ return(layouts) }}
{% endmacro %}


{% macro raw_csv_delimiter_hint(header) %}
    {#- For a CSV header of one column: the delimiter it was split at, and how
        to declare another. -#}
    {%- if header | length != 1 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set delimiter = '\t' if var('raw_csv_delimiter') == '\\t' else var('raw_csv_delimiter') -%}
    {{ return(
        " Its header line, split at " ~ ("'\\t' (tab)" if delimiter == '\t' else "'" ~ delimiter ~ "'")
        ~ " (var 'raw_csv_delimiter'), is one column: '" ~ header[0] | truncate(80) ~ "'."
        ~ " If the file uses another delimiter, set var 'raw_csv_delimiter', e.g. --vars '{raw_csv_delimiter: \";\"}'."
    ) }}
{% endmacro %}


{% macro raw_table_parts(table_name, mode, relation, csv_records) %}
    {#- The pieces one raw table is read from, each a dict: location (for
        messages), table_expression (none for a CSV file Python read whole:
        its records are in csv_records), layout (CSV files, see
        raw_csv_groups) and load_id, the SQL of the rows' load: a file's name
        in a folder of loads, the load column in the warehouse (see
        raw_load_column), else null. Empty when the table is not there. -#}
    {%- set parts = [] -%}
    {%- if mode == 'files' -%}
        {%- set found = raw_files(table_name) -%}
        {#- A load's id is its file name; the multi-file reads name each row's
            file, and DuckDB skips the files a filter on it rules out. -#}
        {%- set load_id = 'parse_filename(filename)' if found and found.batched else 'null' -%}
        {%- if found and found.format == 'csv' -%}
            {%- for layout in raw_csv_groups(table_name, found.files, csv_records) -%}
                {%- do parts.append({'location': layout.location, 'layout': layout,
                    'table_expression': layout.read_expression, 'load_id': load_id}) -%}
            {%- endfor -%}
        {%- elif found -%}
            {%- set paths = found.files | map(attribute='path') | list -%}
            {%- do parts.append({'location': paths[0] ~ (" and " ~ (paths | length - 1) ~ " other file(s)" if paths | length > 1 else ""),
                'layout': none, 'table_expression': read_raw_files(paths), 'load_id': load_id}) -%}
        {%- endif -%}
    {%- else -%}
        {%- set found = adapter.get_relation(relation.database, relation.schema, relation.identifier) -%}
        {%- if found -%}
            {%- set load_column = raw_load_column(table_name, relation) if mode == 'warehouse' else none -%}
            {%- do parts.append({'location': relation | string, 'layout': none, 'table_expression': relation,
                'load_id': 'cast(' ~ adapter.quote(load_column) ~ ' as ' ~ dbt.type_string() ~ ')' if load_column else 'null'}) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(parts) }}
{% endmacro %}


{% macro raw_load_column(table_name, relation) %}
    {#- Warehouse mode: the column of a raw table naming the load each row
        arrived in, or none (the table is not batched). Var raw_load_column
        names it; unset, the first column found of those the common EL tools
        write: Fivetran _fivetran_synced, Airbyte _airbyte_extracted_at, dlt
        _dlt_load_id, Stitch _sdc_batched_at. Names match case-insensitively. -#}
    {%- set columns = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do columns.setdefault(column.name | trim | lower, column.name) -%}
    {%- endfor -%}
    {%- set wanted = var('raw_load_column') | trim if var('raw_load_column') else none -%}
    {%- if wanted -%}
        {%- if wanted | lower not in columns -%}
            {{ exceptions.raise_compiler_error(
                "var 'raw_load_column': raw table '" ~ table_name ~ "' (" ~ relation ~ ") has no column '" ~ wanted
                ~ "'. Its columns: " ~ (columns.keys() | list | join(', ')) ~ "."
            ) }}
        {%- endif -%}
        {{ return(columns[wanted | lower]) }}
    {%- endif -%}
    {%- for name in ['_fivetran_synced', '_airbyte_extracted_at', '_dlt_load_id', '_sdc_batched_at'] if name in columns -%}
        {{ return(columns[name]) }}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}


{% macro conform_raw_part(table_name, contract, part, csv_records) %}
    {#- The select of one raw table piece (see raw_table_parts) as the
        contract's columns: names matched case-insensitively and trimmed, a
        missing required column or a name used twice stops the build. -#}
    {%- set layout = part.layout -%}
    {%- set column_names = layout.header if layout is not none else raw_table_columns(part.table_expression) -%}
    {%- set positions = {} -%}
    {%- for name in column_names -%}
        {%- set key = name | trim | lower -%}
        {%- if key in positions and key != '' -%}
            {{ exceptions.raise_compiler_error(
                "Raw table '" ~ table_name ~ "' in " ~ part.location ~ " has two columns named '" ~ key
                ~ "' (columns " ~ (positions[key] + 1) ~ " and " ~ loop.index ~ ": '"
                ~ column_names[positions[key]] ~ "' and '" ~ name
                ~ "'; names match case-insensitively, trimmed). Rename or remove one."
            ) }}
        {%- endif -%}
        {%- do positions.setdefault(key, loop.index0) -%}
    {%- endfor -%}
    {%- for column in contract.columns if column.required and column.name not in positions -%}
        {{ exceptions.raise_compiler_error(
            "Raw table '" ~ table_name ~ "' in " ~ part.location ~ " lacks required column '" ~ column.name
            ~ "'. Its columns: " ~ (positions.keys() | list | join(', ')) ~ "."
            ~ (raw_csv_delimiter_hint(column_names) if layout is not none else "")
        ) }}
    {%- endfor -%}
    {%- set selects = [] -%}
    {%- if part.table_expression is not none -%}
        {#- Typed sources (Parquet, warehouse tables) may hold integer ids as floats. -#}
        {%- set column_types = raw_column_types(part.table_expression) if layout is none else {} -%}
        {%- set select -%}
            select
            {%- for column in contract.columns %}
                {%- if column.name in positions %}
                {%- set name = 'c' ~ positions[column.name] if layout is not none else column_names[positions[column.name]] %}
                {{ raw_column_text(adapter.quote(name), column.name, column_types.get(name | trim | lower)) }} as {{ column.name }},
                {%- else %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
                {%- endif %}
            {%- endfor %}
                {{ no_unreadable_record_columns() }},
                {{ 'physical_lines' if layout is not none else 'cast(null as ' ~ dbt.type_bigint() ~ ')' }} as physical_lines,
                {{ part.load_id }} as load_id
            from {{ part.table_expression }}
        {%- endset -%}
        {%- do selects.append(select) -%}
    {%- endif -%}
    {%- if layout is not none -%}
        {%- set select -%}
            select
            {%- for column in contract.columns %}
                {%- if column.name in positions %}
                fields[{{ positions[column.name] + 1 }}] as {{ column.name }},
                {%- else %}
                cast(null as {{ dbt.type_string() }}) as {{ column.name }},
                {%- endif %}
            {%- endfor %}
                case when record_kind = 'unreadable' then line_number end as file_line_number,
                reason as unreadable_reason,
                record_text as unreadable_record,
                physical_lines,
                {{ part.load_id | replace('(filename)', '(source_file)') }} as load_id
            from {{ csv_records }}
            where read_group = {{ sql_string_literal(layout.read_group) }} and record_kind in ('record', 'unreadable')
        {%- endset -%}
        {%- do selects.append(select) -%}
    {%- endif -%}
    {{ return(selects | join('\n\n            union all\n')) }}
{% endmacro %}


{% macro raw_part_has_rows(part) %}
    {#- Whether a raw table piece holds a data row (see raw_table_parts). -#}
    {%- if part.layout is not none -%}
        {{ return(part.layout.record_count > 0) }}
    {%- endif -%}
    {{ return(run_query("select 1 from " ~ part.table_expression ~ " limit 1").rows | length > 0) }}
{% endmacro %}
