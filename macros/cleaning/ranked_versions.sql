{% macro versioned_keys(relation, key_columns) -%}
    {#- The keys exported more than once in `relation`: the only ones whose
        rows need ranking. A row without a full key is no version of anything
        (staging rejects it before it asks for a version). -#}
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


{% macro ranked_versions(relation, key_columns, order_by) -%}
    {#- Every row of `relation` with its version_rank among the rows sharing its
        key, 1 for the version that wins under `order_by`. Only keys with
        several versions (column has_versions) are ranked: a window over every
        row sorts the whole table, which cost as much as parsing it at a
        million rows; the other rows are the only version of their key. -#}
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
