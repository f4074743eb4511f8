{% macro raw_values_text(columns) -%}
    {#- A rejected row's raw values as one text, "name=value; name=value", for
        investigation; a null value shows as <null>. Reads raw_<name> columns. -#}
    {%- for column in columns %}
    '{{ column }}=' || coalesce(raw_{{ column }}, '<null>') {{- " || '; ' ||" if not loop.last }}
    {%- endfor %}
{%- endmacro %}
