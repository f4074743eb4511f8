{#- How customer_segments_history appends one as-of date at a time.

    The history is an incremental model (not a dbt snapshot): each build
    appends the versions that changed as of its as-of date. Three cases,
    decided by comparing that date with the latest one already recorded:
    - later: append the changes;
    - the same (a re-run, a correction, `today` twice in a day): the pre-hook
      deletes that date's versions and the build records them again;
    - earlier (a build of the past, a backtest): nothing is recorded and the
      log says so; the history never moves backwards. To record the past,
      start a new history (drop the table) and build month ends in order. -#}

{% macro segment_history_dates() %}
    {#- {'as_of': this build's as-of date, 'latest': the latest recorded}, as
        YYYY-MM-DD texts, which compare as dates. Incremental builds only. -#}
    {%- set as_of = run_query(
        "select cast(as_of_date as " ~ dbt.type_string() ~ ") from " ~ ref('int_as_of_date')
    ).columns[0].values()[0] -%}
    {%- set latest = run_query(
        "select cast(max(valid_from) as " ~ dbt.type_string() ~ ") from " ~ this
    ).columns[0].values()[0] -%}
    {{ return({'as_of': as_of, 'latest': latest}) }}
{% endmacro %}


{% macro delete_segment_history_at_as_of_date() %}
    {#- Pre-hook: a build at the latest recorded as-of date replaces its
        versions; a build of an earlier date says that it records nothing
        (the model's SQL leaves those rows out). -#}
    {%- if execute and is_incremental() -%}
        {%- set dates = segment_history_dates() -%}
        {%- if dates.latest is none -%}
            {#- an empty history: nothing to replace -#}
        {%- elif dates.as_of < dates.latest -%}
            {{ log(
                "customer_segments_history: this build is as of " ~ dates.as_of ~ ", before the latest recorded as-of"
                ~ " date " ~ dates.latest ~ "; it records nothing (the history only moves forward).", info=true
            ) }}
        {%- elif dates.as_of == dates.latest -%}
            {{ return(adapter.dispatch('delete_segment_history_at', 'risk_segmentation')(dates.as_of)) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro default__delete_segment_history_at(as_of) %}
    delete from {{ this }} where valid_from = cast('{{ as_of }}' as date)
{% endmacro %}

{% macro spark__delete_segment_history_at(as_of) %}
    {#- Plain (Parquet) Spark tables cannot delete rows; the history is
        partitioned by valid_from on Spark, so the date is a partition. -#}
    alter table {{ this }} drop if exists partition (valid_from = '{{ as_of }}')
{% endmacro %}
