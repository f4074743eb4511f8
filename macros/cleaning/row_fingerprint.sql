{% macro row_fingerprint(columns, key) -%}
    {#- A hash of a row's raw values: the last, deterministic tie-break between
        versions of one key. Computed only where the key has several versions
        (sorting ten million md5 strings costs more than the rest of staging);
        null elsewhere. Null and blank hash alike: both clean to null, so either
        version gives the same clean row. -#}
    case when count(*) over (partition by {{ key }}) > 1 then
        md5(
            {%- for column in columns %}
            coalesce({{ column }}, '') {{- " || '|' ||" if not loop.last }}
            {%- endfor %}
        )
    end
{%- endmacro %}
