{% macro clean_text(expression) -%}
    {#- Trimmed text (spaces only, see trim_spaces); blank becomes null. -#}
    {{ return(adapter.dispatch('clean_text', 'risk_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__clean_text(expression) -%}
    nullif({{ trim_spaces(expression) }}, '')
{%- endmacro %}

{% macro duckdb__clean_text(expression) -%}
    {#- The same value, trimming only the texts that need it: DuckDB's trim
        copies every text it is given, and staging cleans eight columns of
        every raw row (DECISIONS.md, Staging). -#}
    case
        when {{ expression }} = '' or prefix({{ expression }}, ' ') or suffix({{ expression }}, ' ')
            then nullif({{ trim_spaces(expression) }}, '')
        else {{ expression }}
    end
{%- endmacro %}


{% macro trim_spaces(expression) -%}
    {#- The text without leading and trailing spaces (U+0020), the trim of
        Postgres and Spark and of the independent check. DuckDB's one-argument
        trim also strips other Unicode spaces (a no-break space, U+00A0), so
        the same raw value would clean differently there. -#}
    {{ return(adapter.dispatch('trim_spaces', 'risk_segmentation')(expression)) }}
{%- endmacro %}

{% macro default__trim_spaces(expression) -%}
    trim({{ expression }})
{%- endmacro %}

{% macro duckdb__trim_spaces(expression) -%}
    trim({{ expression }}, ' ')
{%- endmacro %}
