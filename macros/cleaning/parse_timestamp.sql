{% macro timestamp_pattern() -%}
    {#- The contract's formats: YYYY-MM-DD, YYYY/MM/DD, and ISO timestamps
        (T or space, optional seconds and fraction) with an optional zone: Z,
        +HH, +HHMM or +HH:MM. Groups: 1 date, 2 time, 3 zone sign, 4 zone
        hours, 5 zone minutes. -#}
    {{- return('^([0-9]{4}[-/][0-9]{2}[-/][0-9]{2})(?:[T ]([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,9})?)?))?(?:Z|([+-])([0-9]{2}):?([0-9]{2})?)?$') -}}
{%- endmacro %}


{% macro parse_timestamp(expression) -%}
    {#- A raw date or time in any contract format as a timestamp in UTC (a time
        with a zone is shifted to UTC; one without is taken as UTC), or null when
        it is blank, in no contract format, or not a real date (2023-02-30). -#}
    {{ return(adapter.dispatch('parse_timestamp', 'risk_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expression) -%}
    {%- set text = 'trim(' ~ expression ~ ')' -%}
    {%- set pattern = timestamp_pattern() -%}
    case when {{ regexp_matches(text, pattern) }} then
        try_cast(
            replace({{ regexp_group(text, pattern, 1) }}, '/', '-')
            || ' ' || coalesce({{ regexp_group(text, pattern, 2) }}, '00:00:00')
            as timestamp
        )
        - (
            case when {{ regexp_group(text, pattern, 3) }} = '-' then -1 else 1 end
            * (
                coalesce(cast({{ regexp_group(text, pattern, 4) }} as integer), 0) * 60
                + coalesce(cast({{ regexp_group(text, pattern, 5) }} as integer), 0)
            )
        ) * interval '1 minute'
    end
{%- endmacro %}
