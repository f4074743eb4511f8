{% macro versioned_keys(relation, key_columns) -%}
    {#- The keys exported more than once in `relation`: the only ones whose
        rows need ranking. A row without a full key is no version of anything
        (staging rejects it before it asks for a version). -#}
    {{ return(adapter.dispatch('versioned_keys', 'risk_segmentation')(relation, key_columns)) }}
{%- endmacro %}

{% macro default__versioned_keys(relation, key_columns) -%}
    select
        {{ key_columns | join(', ') }},
        true as has_versions
    from {{ relation }}
    where
        {%- for column in key_columns %}
        {{ column }} is not null {{- " and" if not loop.last }}
        {%- endfor %}
    group by {{ key_columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}

{% macro duckdb__versioned_keys(relation, key_columns) -%}
    {#- The same keys, found in two steps: the hashes of the keys that occur
        more than once (a group-by over one integer per row, not the key's
        texts), then the keys among the few rows with such a hash that really
        occur more than once (two keys sharing a hash are told apart here).
        Grouping the order lines by the keys themselves spilled to disk
        (DECISIONS.md, Staging). -#}
    {%- set full_key -%}
        {%- for column in key_columns %}{{ column }} is not null {{- " and " if not loop.last }}{% endfor -%}
    {%- endset -%}
    {%- set key_hash = 'hash(' ~ key_columns | join(', ') ~ ')' -%}
    select
        {{ key_columns | join(', ') }},
        true as has_versions
    from {{ relation }}
    where
        {{ full_key }}
        and {{ key_hash }} in (
            select {{ key_hash }}
            from {{ relation }}
            where {{ full_key }}
            group by {{ key_hash }}
            having count(*) > 1
        )
    group by {{ key_columns | join(', ') }}
    having count(*) > 1
{%- endmacro %}


{% macro ranked_versions(relation, key_columns, order_by) -%}
    {#- Every row of `relation` with its version_rank among the rows sharing its
        key, 1 for the version that wins under `order_by`. Only keys with
        several versions (column has_versions) are ranked: a window over every
        row sorts the whole table, which cost as much as parsing it
        (DECISIONS.md, Staging); the other rows are the only version of their
        key. -#}
    select
        *,
        1 as version_rank
    from {{ relation }}
    where not has_versions

    union all

    select
        *,
        row_number() over (
            partition by {{ key_columns | join(', ') }}
            order by {{ order_by }}
        ) as version_rank
    from {{ relation }}
    where has_versions
{%- endmacro %}
