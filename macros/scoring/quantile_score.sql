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
