{% macro normalise_location(expression) -%}
    {#- Free-text location, tidied: spaces trimmed and collapsed, words title
        case, and a trailing two-letter country code upper case ("  berlin, de"
        becomes "Berlin, DE"). Blank becomes null. -#}
    {%- set text = clean_text(regexp_replace_all(expression, ' +', ' ')) -%}
    {%- set pattern = '^(.*), ?([A-Za-z]{2})$' -%}
    case
        when {{ regexp_matches(text, pattern) }}
            then {{ title_case(regexp_group(text, pattern, 1)) }} || ', ' || upper({{ regexp_group(text, pattern, 2) }})
        else {{ title_case(text) }}
    end
{%- endmacro %}
