{% macro raw_files(table_name) %}
    {#- File mode: where one raw table lives in var raw_data_dir, as
        {'format': 'csv' | 'parquet', 'batched': bool, 'files': [{'path', 'load_id'}]},
        or none when nothing is there. Either one file, <table>.csv or
        <table>.parquet (not batched: load_id none), or a folder <table>/ of
        load files of one format, each one immutable load whose load_id is its
        file name; files are listed in name order. Two candidates (a file and
        a folder, or two formats) are an error: which one is meant cannot be
        guessed. -#}
    {%- set folder = (var('raw_data_dir') | trim).rstrip('/') -%}
    {%- set found = [] -%}
    {%- for file_format in ['csv', 'parquet'] -%}
        {%- set path = folder ~ '/' ~ table_name ~ '.' ~ file_format -%}
        {%- if raw_paths(path) -%}
            {%- do found.append({'format': file_format, 'batched': false, 'files': [{'path': path, 'load_id': none}]}) -%}
        {%- endif -%}
        {%- set loads = raw_paths(folder ~ '/' ~ table_name ~ '/*.' ~ file_format) -%}
        {%- if loads -%}
            {%- set files = [] -%}
            {%- for path in loads -%}
                {%- set name = path.replace('\\', '/').split('/')[-1] -%}
                {%- do files.append({'path': folder ~ '/' ~ table_name ~ '/' ~ name, 'load_id': name}) -%}
            {%- endfor -%}
            {%- do found.append({'format': file_format, 'batched': true, 'files': files}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if found | length > 1 -%}
        {%- set names = [] -%}
        {%- for candidate in found -%}
            {%- do names.append(table_name ~ ('/*.' if candidate.batched else '.') ~ candidate.format) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "var 'raw_data_dir': '" ~ folder ~ "' holds " ~ names | join(' and ') ~ " for raw table '"
            ~ table_name ~ "'; keep one (a table is one file, or one folder of load files of one format)."
        ) }}
    {%- endif -%}
    {{ return(found[0] if found else none) }}
{% endmacro %}


{% macro raw_paths(pattern) %}
    {#- The files matching a glob pattern, in name order. -#}
    {{ return(adapter.dispatch('raw_paths', 'risk_segmentation')(pattern)) }}
{% endmacro %}

{% macro default__raw_paths(pattern) %}
    {{ exceptions.raise_compiler_error(
        "var 'raw_data_dir' (file mode) is supported on DuckDB; on " ~ target.type
        ~ ", load the files into a schema and set var 'raw_schema' instead."
    ) }}
{% endmacro %}

{% macro duckdb__raw_paths(pattern) %}
    {%- set result = run_query("select file from glob(" ~ sql_string_literal(pattern) ~ ") order by file") -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}


{% macro read_raw_files(paths) %}
    {{ return(adapter.dispatch('read_raw_files', 'risk_segmentation')(paths)) }}
{% endmacro %}

{% macro default__read_raw_files(paths) %}
    {{ default__raw_paths(paths[0]) }}
{% endmacro %}

{% macro duckdb__read_raw_files(paths) %}
    {#- Parquet files, read together (columns matched by name: a later load
        may add one), each row with its file's name. Parquet carries its own
        types, cast to text by conform_raw_table: staging owns every parse.
        CSV files are not read here but through base_shop__csv_records, with a
        fixed dialect (see raw_csv_groups). -#}
    read_parquet([
        {%- for path in paths %}{{ sql_string_literal(path) }}{{ ", " if not loop.last }}{% endfor -%}
    ], filename = true, union_by_name = true)
{% endmacro %}
