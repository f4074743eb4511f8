{% macro row_fingerprint(columns) -%}
    {#- A hash of a row's raw values: the last, deterministic tie-break between
        versions of one key. Computed only for rows whose key has several
        versions (column has_versions, see ranked_versions); null elsewhere.
        Null and blank hash alike: both clean to null, so either version gives
        the same clean row. -#}
    case when has_versions then
        md5(
            {%- for column in columns %}
            coalesce({{ column }}, '') {{- " || '|' ||" if not loop.last }}
            {%- endfor %}
        )
    end
{%- endmacro %}
