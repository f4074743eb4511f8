{% test loses_at_most_max_rejected_share(model, source_table, rows_model) %}
    {#- A raw table loses at most var max_rejected_share of its lines to
        rejection: the lines its rejected rows span (physical_lines; a row
        outside CSV files is one line) over the lines of all its rows. Above
        it, the build is not reading the shop's data but mostly rejecting it
        (a quote that swallowed the rest of a file, a shifted column, another
        export's layout), so the test stops it with a message naming the
        table, the share and the reason that rejected the most lines. model is
        the table's base model (where the other per-table tests are, so a
        failure skips everything built from the table); rows_model classifies
        its rows. -#}
    {%- set max_share = var('max_rejected_share') %}
    with

    lines_by_reason as (
        select
            rejection_reason,
            sum(coalesce(physical_lines, 1)) as line_count
        from {{ rows_model }}
        group by rejection_reason
    ),

    shares as (
        select
            sum(line_count) as all_lines,
            coalesce(sum(case when rejection_reason is not null then line_count end), 0) as rejected_lines
        from lines_by_reason
    ),

    reasons as (
        select
            rejection_reason,
            line_count,
            row_number() over (order by line_count desc, rejection_reason) as reason_rank
        from lines_by_reason
        where rejection_reason is not null
    ),

    failures as (
        select
            shares.rejected_lines,
            shares.all_lines,
            reasons.rejection_reason as main_reason,
            reasons.line_count as main_reason_lines
        from shares
        inner join reasons
            on reasons.reason_rank = 1
        where shares.rejected_lines > {{ max_share }} * shares.all_lines
    )

    select
        '{{ source_table }}' as source_table,
        rejected_lines,
        all_lines,
        main_reason,
        {{ data_test_error(dbt.concat([
            sql_string_literal("Raw table '" ~ source_table ~ "' lost "),
            "cast(round(100.0 * rejected_lines / all_lines, 1) as " ~ dbt.type_string() ~ ")",
            sql_string_literal("% of its lines to rejection ("),
            "cast(rejected_lines as " ~ dbt.type_string() ~ ")",
            sql_string_literal(" of "),
            "cast(all_lines as " ~ dbt.type_string() ~ ")",
            sql_string_literal("), above var max_rejected_share (" ~ max_share ~ "); the main reason, "),
            "main_reason",
            sql_string_literal(", rejected "),
            "cast(main_reason_lines as " ~ dbt.type_string() ~ ")",
            sql_string_literal(" of them. Its rows are in " ~ rows_model.identifier
                ~ " (rejection_reason); if the share is expected, raise the var."),
        ])) }} as failure
    from failures
{% endtest %}
