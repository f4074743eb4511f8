{#- How customer_segments_history records one as-of date at a time.

    The history is an incremental model (not a dbt snapshot): each customer has
    a version for every recorded as-of date on which their segment columns
    differ from their version before it. A build compares its as-of date with
    the dates already recorded:
    - later: append the changes;
    - the same (a re-run, a correction, `today` twice in a day): the pre-hook
      deletes that date's versions and the build records them again;
    - earlier (a backfill): the date is inserted. Its versions are recorded
      against the version before it, and the next recorded date is made to
      say what it said before: a customer whose version changes at this date
      gets, at the next date, the version that held there, unless one is
      recorded there already; a version at the next date that no longer
      changes anything is deleted. The history is then the one that building
      every date in order would have recorded (docs/definitions.md §8).
      Plain Spark tables cannot delete rows, so there a build of an earlier
      date records nothing and says so. -#}

{% macro segment_history_columns() %}
    {#- The columns a version tracks: a change in any of them is a new version. -#}
    {{ return(['rfm_segment', 'lifecycle_stage', 'is_at_risk', 'churn_risk', 'return_tier', 'value_tier',
               'risk_value_quadrant']) }}
{% endmacro %}


{% macro segment_history_dates(current_segments) %}
    {#- {'as_of': this build's as-of date, 'latest': the latest recorded date,
        'next': the first recorded date after as_of}, as YYYY-MM-DD texts,
        which compare as dates (none when there is none). Incremental builds
        only. -#}
    {%- set as_of = run_query(
        "select cast(max(as_of_date) as " ~ dbt.type_string() ~ ") from " ~ current_segments
    ).columns[0].values()[0] -%}
    {%- set recorded = run_query(
        "select cast(max(valid_from) as " ~ dbt.type_string() ~ "), cast(min(case when valid_from > cast('"
        ~ as_of ~ "' as date) then valid_from end) as " ~ dbt.type_string() ~ ") from " ~ this
    ).rows[0] -%}
    {{ return({'as_of': as_of, 'latest': recorded[0], 'next': recorded[1]}) }}
{% endmacro %}


{% macro prepare_segment_history(current_segments) %}
    {#- Pre-hook: makes room for this build's versions (see above); the
        model's SQL then records each customer's version where it differs
        from their version before the as-of date. -#}
    {%- if execute and is_incremental() -%}
        {%- set dates = segment_history_dates(current_segments) -%}
        {%- if dates.as_of is none or dates.latest is none -%}
            {#- nothing built or nothing recorded: nothing to make room for -#}
        {%- elif dates.as_of < dates.latest and target.type == 'spark' -%}
            {{ log(
                "customer_segments_history: this build is as of " ~ dates.as_of ~ ", before the latest recorded"
                ~ " as-of date " ~ dates.latest ~ "; it records nothing (Spark cannot insert a date into the past).",
                info=true
            ) }}
        {%- else -%}
            {%- if dates.next is not none -%}
                {{ log(
                    "customer_segments_history: this build is as of " ~ dates.as_of ~ ", before the recorded as-of"
                    ~ " date " ~ dates.next ~ "; it is inserted into the history before it.", info=true
                ) }}
                {%- do run_query(restore_versions_at_next_date(current_segments, dates.next)) -%}
            {%- endif -%}
            {%- do run_query(adapter.dispatch('delete_segment_history_at', 'risk_segmentation')(dates.as_of)) -%}
            {%- if dates.next is not none -%}
                {%- do run_query(delete_unchanged_versions_at_next_date(current_segments, dates.next)) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}


{% macro restore_versions_at_next_date(current_segments, next_date) %}
    {#- A customer whose version at this build's as-of date will differ from
        the version that held at the next recorded date, and who has none
        recorded there, gets that version recorded there. -#}
    {%- set columns = segment_history_columns() %}
    insert into {{ this }} (customer_id, {{ columns | join(', ') }}, valid_from)
    select
        held.customer_id,
        {%- for column in columns %}
        held.{{ column }},
        {%- endfor %}
        cast('{{ next_date }}' as date) as valid_from
    from (
        select
            *,
            row_number() over (partition by customer_id order by valid_from desc) as version_rank
        from {{ this }}
        where valid_from < cast('{{ next_date }}' as date)
    ) as held
    inner join {{ current_segments }} as current_segments
        on held.customer_id = current_segments.customer_id
    where
        held.version_rank = 1
        and not exists (
            select 1 from {{ this }} as recorded
            where recorded.customer_id = held.customer_id and recorded.valid_from = cast('{{ next_date }}' as date)
        )
        and (
            {%- for column in columns %}
            {{ 'or ' if not loop.first }}held.{{ column }} is distinct from current_segments.{{ column }}
            {%- endfor %}
        )
{% endmacro %}


{% macro delete_unchanged_versions_at_next_date(current_segments, next_date) %}
    {#- A version at the next recorded date equal to this build's version of
        the customer changes nothing any more. -#}
    delete from {{ this }} as recorded
    where
        recorded.valid_from = cast('{{ next_date }}' as date)
        and exists (
            select 1 from {{ current_segments }} as current_segments
            where
                current_segments.customer_id = recorded.customer_id
                {%- for column in segment_history_columns() %}
                and current_segments.{{ column }} is not distinct from recorded.{{ column }}
                {%- endfor %}
        )
{% endmacro %}


{% macro default__delete_segment_history_at(as_of) %}
    delete from {{ this }} where valid_from = cast('{{ as_of }}' as date)
{% endmacro %}

{% macro spark__delete_segment_history_at(as_of) %}
    {#- Plain (Parquet) Spark tables cannot delete rows; the history is
        partitioned by valid_from on Spark, so the date is a partition. -#}
    alter table {{ this }} drop if exists partition (valid_from = '{{ as_of }}')
{% endmacro %}
