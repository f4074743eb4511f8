{% test accounts_for_every_line(model, source_table) %}
    {#- Nothing is lost between the lines of a raw CSV file and its records:
        for the files of one raw table, their physical lines = one header line
        per file + their blank lines + the lines each record spans
        (physical_lines of the base model, unreadable records included). The
        files' lines and blank lines are counted by base_shop__csv_records in a
        pass of their own, apart from any CSV reader, so a reader that skipped
        or merged lines fails here even when every record it returned is
        accounted for (accounts_for_every_row). Outside CSV files (Parquet,
        warehouse tables, the sample seeds) there are no lines to check.
        Returns one row when the counts disagree. -#}
    {%- if raw_data_mode() == 'files' and target.type == 'duckdb' %}
    with

    file_lines as (
        select
            coalesce(sum(physical_lines), 0) as file_line_count,
            coalesce(sum(len(source_files)), 0) as header_line_count,
            coalesce(sum(blank_lines), 0) as blank_line_count
        from {{ ref('base_shop__csv_records') }}
        where source_table = '{{ source_table }}' and record_kind = 'header'
    ),

    record_lines as (
        select coalesce(sum(physical_lines), 0) as record_line_count
        from {{ model }}
    )

    select
        '{{ source_table }}' as source_table,
        file_lines.file_line_count,
        file_lines.header_line_count,
        file_lines.blank_line_count,
        record_lines.record_line_count
    from file_lines
    cross join record_lines
    where
        file_lines.file_line_count
        != file_lines.header_line_count + file_lines.blank_line_count + record_lines.record_line_count
    {%- else %}
    select 1 as no_csv_file
    where 1 = 0
    {%- endif %}
{% endtest %}
