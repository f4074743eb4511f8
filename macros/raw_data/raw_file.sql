{% macro raw_file(table_name) %}
    {#- File mode: the path of <table>.csv or <table>.parquet in var raw_data_dir,
        with its format, or none when neither exists. Both existing is an error:
        which one is meant cannot be guessed. -#}
    {%- set folder = get_var('raw_data_dir').rstrip('/') -%}
    {%- set found = [] -%}
    {%- for file_format in ['csv', 'parquet'] -%}
        {%- set path = folder ~ '/' ~ table_name ~ '.' ~ file_format -%}
        {%- if raw_file_exists(path) -%}
            {%- do found.append({'path': path, 'format': file_format}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if found | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "var 'raw_data_dir': '" ~ folder ~ "' holds both " ~ table_name ~ ".csv and " ~ table_name
            ~ ".parquet; keep one."
        ) }}
    {%- endif -%}
    {{ return(found[0] if found else none) }}
{% endmacro %}


{% macro raw_file_exists(path) %}
    {{ return(adapter.dispatch('raw_file_exists', 'risk_segmentation')(path)) }}
{% endmacro %}

{% macro default__raw_file_exists(path) %}
    {{ exceptions.raise_compiler_error(
        "var 'raw_data_dir' (file mode) is supported on DuckDB; on " ~ target.type
        ~ ", load the files into a schema and set var 'raw_schema' instead."
    ) }}
{% endmacro %}

{% macro duckdb__raw_file_exists(path) %}
    {%- set result = run_query("select count(*) from glob(" ~ sql_string_literal(path) ~ ")") -%}
    {{ return(result.columns[0].values()[0] > 0) }}
{% endmacro %}


{% macro read_raw_file(file) %}
    {{ return(adapter.dispatch('read_raw_file', 'risk_segmentation')(file)) }}
{% endmacro %}

{% macro default__read_raw_file(file) %}
    {{ default__raw_file_exists(file.path) }}
{% endmacro %}

{% macro duckdb__read_raw_file(file) %}
    {#- Parquet carries its own types, cast to text by conform_raw_table: staging
        owns every parse. CSV files are not read here but through
        base_shop__csv_records, with a fixed dialect (see raw_csv_layout). -#}
    read_parquet({{ sql_string_literal(file.path) }})
{% endmacro %}
