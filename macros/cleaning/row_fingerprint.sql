{% macro row_fingerprint(columns) -%}
    {#- A hash of a row's raw values: the last, deterministic tie-break when two
        versions of a key are otherwise equal. Null and blank hash alike: both
        clean to null, so either version gives the same clean row. -#}
    md5(
        {%- for column in columns %}
        coalesce({{ column }}, '') {{- " || '|' ||" if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
