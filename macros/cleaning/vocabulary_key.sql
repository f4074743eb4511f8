{% macro vocabulary_key(expression) -%}
    {#- The lookup key of a free-text vocabulary value: lower case, trimmed, runs
        of spaces, hyphens and underscores made one underscore ("Partially
        Returned" and "partially-returned" both become partially_returned). -#}
    {{ regexp_replace_all('lower(trim(' ~ expression ~ '))', '[ _-]+', '_') }}
{%- endmacro %}
