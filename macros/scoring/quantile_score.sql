{% macro quantile_score(expression, higher_is_better, buckets=5, partition_by=none) -%}
    {#- A tie-consistent 1..buckets score over the rows of the query (a window
        expression): 1 + floor(buckets * (rank - 1) / n), where rank is rank()
        over the rows ordered from worst to best (ties share the lowest rank,
        so equal values always get equal scores) and n the number of rows;
        with `partition_by`, within each partition. -#}
    {%- set over = 'partition by ' ~ partition_by ~ ' ' if partition_by else '' %}
    1 + cast(floor(
        {{ buckets }} * (rank() over ({{ over }}order by {{ expression }} {{ 'asc' if higher_is_better else 'desc' }}) - 1)
        / cast(count(*) over ({{ over | trim }}) as {{ type_double() }})
    ) as integer)
{%- endmacro %}


{% macro quantile_scores_of_values(relation, expression, higher_is_better, buckets=5, partition_by=[]) -%}
    {#- The scores quantile_score gives, as a query with one row per distinct
        value of `expression` (never null) and partition of `relation`, its
        score in column `score`: rank - 1 is the number of rows with a worse
        value, summed over the value counts. Joined back to the rows on the
        value, it gives each row its score with a group-by and a join instead
        of two window sorts of every row (DECISIONS.md, Performance). -#}
    {%- set keys = partition_by + [expression] %}
    {%- set over = 'partition by ' ~ (partition_by | join(', ')) ~ ' ' if partition_by else '' %}
    select
        {{ keys | join(', ') }},
        1 + cast(floor(
            {{ buckets }} * coalesce(sum(rows_with_value) over (
                {{ over }}order by {{ expression }} {{ 'asc' if higher_is_better else 'desc' }}
                rows between unbounded preceding and 1 preceding
            ), 0)
            / cast(sum(rows_with_value) over ({{ over | trim }}) as {{ type_double() }})
        ) as integer) as score
    from (
        select
            {{ keys | join(', ') }},
            count(*) as rows_with_value
        from {{ relation }}
        group by {{ keys | join(', ') }}
    ) as value_counts
{%- endmacro %}
