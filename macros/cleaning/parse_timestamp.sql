{% macro timestamp_pattern() -%}
    {#- The contract's formats: YYYY-MM-DD, YYYY/MM/DD, and ISO timestamps
        (T or space, optional seconds and fraction) with an optional zone after
        the time: Z, +HH, +HHMM or +HH:MM (up to 14 hours). Months, days,
        hours, minutes and seconds must be in range; only a day past its
        month's end (30 February) is left to the date check. Groups: 1 date,
        2 time, 3 zone sign, 4 zone hours, 5 zone minutes. -#}
    {#- Years 0001 to 9999, the range every supported engine holds (Postgres
        refuses year 0 with an error that would stop the build). -#}
    {%- set year = '(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)' -%}
    {%- set date = '(' ~ year ~ '[-/](?:0[1-9]|1[0-2])[-/](?:0[1-9]|[12][0-9]|3[01]))' -%}
    {%- set time = '((?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:[.][0-9]{1,9})?)?)' -%}
    {%- set zone = '(?:Z|([+-])(0[0-9]|1[0-4]):?([0-5][0-9])?)' -%}
    {{- return('^' ~ date ~ '(?:[T ]' ~ time ~ zone ~ '?)?$') -}}
{%- endmacro %}


{% macro parse_timestamp(expression) -%}
    {#- Trimmed text (see clean_text: staging trims each raw column once) holding
        a date or time in any contract format as a timestamp in UTC (a time
        with a zone is shifted to UTC; one without is taken as UTC; fractions of
        a second beyond microseconds are cut), or null when it is blank, in no
        contract format, or not a real date or time (2023-02-30, 25:00). The
        pattern, not the engine's cast, decides what is accepted, so every
        warehouse accepts the same values. -#}
    {{ return(adapter.dispatch('parse_timestamp', 'risk_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expression) -%}
    case when {{ regexp_matches(expression, timestamp_pattern()) }} then
        {{ utc_timestamp_from_parts(expression, 'try_cast') }}
    end
{%- endmacro %}

{% macro postgres__parse_timestamp(expression) -%}
    {#- Postgres has no try_cast and a failed cast stops the query, so the day
        is checked against its month's length before casting; CASE evaluates
        its branches in order, so nothing unmatched is ever cast. -#}
    {%- set month_start = "cast(replace(left(" ~ expression ~ ", 7), '/', '-') || '-01' as date)" -%}
    case
        when not {{ regexp_matches(expression, timestamp_pattern()) }} then null
        when cast(substr({{ expression }}, 9, 2) as integer)
            > extract(day from {{ month_start }} + interval '1 month' - interval '1 day')
            then null
        else {{ utc_timestamp_from_parts(expression, 'cast') }}
    end
{%- endmacro %}

{% macro utc_timestamp_from_parts(text, cast_function) -%}
    {#- A text that matches timestamp_pattern as a UTC timestamp, from the
        pattern's groups: the local date and time (fraction cut to
        microseconds) minus the zone offset. -#}
    {%- set pattern = timestamp_pattern() -%}
    {{ cast_function }}(
        replace({{ regexp_group(text, pattern, 1) }}, '/', '-')
        || ' ' || coalesce(left({{ regexp_group(text, pattern, 2) }}, 15), '00:00:00')
        as timestamp
    )
    - (
        case when {{ regexp_group(text, pattern, 3) }} = '-' then -1 else 1 end
        * (
            coalesce(cast({{ regexp_group(text, pattern, 4) }} as integer), 0) * 60
            + coalesce(cast({{ regexp_group(text, pattern, 5) }} as integer), 0)
        )
    ) * interval '1 minute'
{%- endmacro %}

{% macro duckdb__parse_timestamp(expression) -%}
    {#- One pattern match, then one cast. A text with a zone offset goes through
        DuckDB's timestamptz cast, which does the zone arithmetic; every other
        text (a date, a time without zone, or Z) is already UTC and takes the
        plain timestamp cast, much cheaper than timestamptz; that cast reads a
        trailing Z itself (stripping it first cost more than the cast, with the
        same result on every contract format). After the date (10 characters),
        '+' or '-' can only start a zone. One match and one cast, not the
        default's five regex extractions per value (DECISIONS.md, Staging). -#}
    {%- set text = expression -%}
    case when {{ regexp_matches(text, timestamp_pattern()) }} then
        case
            when contains(substr({{ text }}, 11), '+') or contains(substr({{ text }}, 11), '-')
                then timezone('UTC', try_cast(replace({{ text }}, '/', '-') as timestamptz))
            else try_cast(replace({{ text }}, '/', '-') as timestamp)
        end
    end
{%- endmacro %}
