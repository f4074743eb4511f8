{% test accounts_for_every_row(model, source_table, rows_model, clean_model) %}
    {#- Nothing is lost: raw rows = clean rows + duplicates removed + rejected rows.
        model is the conformed raw table (a base model), which holds every
        record of a raw CSV file, the unreadable ones too (as rows with an
        unreadable_reason, see conform_raw_table); rows_model classifies
        each raw row; clean_model is the clean staging model. Counting the
        clean model itself, not the classification, catches a clean model that
        drops or multiplies rows. Returns one row when the counts disagree. -#}
    with

    raw_rows as (
        select count(*) as row_count from {{ model }}
    ),

    clean_rows as (
        select count(*) as row_count from {{ clean_model }}
    ),

    duplicate_rows as (
        select count(*) as row_count from {{ rows_model }}
        where row_disposition = 'duplicate'
    ),

    rejected_rows as (
        select count(*) as row_count from {{ ref('stg_shop__rejected_rows') }}
        where source_table = '{{ source_table }}'
    )

    select
        raw_rows.row_count as raw_row_count,
        clean_rows.row_count as clean_row_count,
        duplicate_rows.row_count as duplicate_row_count,
        rejected_rows.row_count as rejected_row_count
    from raw_rows
    cross join clean_rows
    cross join duplicate_rows
    cross join rejected_rows
    where raw_rows.row_count != clean_rows.row_count + duplicate_rows.row_count + rejected_rows.row_count
{% endtest %}
