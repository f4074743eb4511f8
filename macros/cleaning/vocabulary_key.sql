{% macro vocabulary_key(expression) -%}
    {#- The lookup key of a free-text vocabulary value: lower case, trimmed,
        apostrophes dropped, runs of spaces, hyphens and underscores made one
        underscore ("Partially Returned" and "partially-returned" both become
        partially_returned; "Didn't like it" becomes didnt_like_it). -#}
    {{ regexp_replace_all("replace(lower(" ~ trim_spaces(expression) ~ "), '''', '')", '[ _-]+', '_') }}
{%- endmacro %}
