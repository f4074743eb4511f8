{% macro rows_fingerprint(columns) -%}
    {#- An aggregate: one 64-bit number from the values of `columns` in every
        row, in no order (the xor of each row's hash), so two sets of rows
        with distinct keys among the columns give the same number only if
        they hold the same rows (but for a 2^-64 chance). An incremental
        model compares it with the one it stored to see whether its inputs
        changed. -#}
    {{ return(adapter.dispatch('rows_fingerprint', 'risk_segmentation')(columns)) }}
{%- endmacro %}

{% macro default__rows_fingerprint(columns) -%}
    bit_xor(hashtextextended(concat_ws('|', {{ columns | join(', ') }}), 0))
{%- endmacro %}

{% macro duckdb__rows_fingerprint(columns) -%}
    bit_xor(hash({{ columns | join(', ') }}))
{%- endmacro %}

{% macro spark__rows_fingerprint(columns) -%}
    bit_xor(xxhash64({{ columns | join(', ') }}))
{%- endmacro %}
