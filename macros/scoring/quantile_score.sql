{% macro quantile_score(expression, higher_is_better, buckets=5) -%}
    {#- A tie-consistent 1..buckets score over the rows of the query (a window
        expression): 1 + floor(buckets * (rank - 1) / n), where rank is rank()
        over the rows ordered from worst to best (ties share the lowest rank,
        so equal values always get equal scores) and n the number of rows. -#}
    1 + cast(floor(
        {{ buckets }} * (rank() over (order by {{ expression }} {{ 'asc' if higher_is_better else 'desc' }}) - 1)
        / cast(count(*) over () as {{ type_double() }})
    ) as integer)
{%- endmacro %}
