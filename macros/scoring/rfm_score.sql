{% macro rfm_score(dimension, partition_by=none) -%}
    {#- A customer's R, F or M score, 1 to 5 (docs/definitions.md §5), for
        `dimension` recency, frequency or monetary, read from the column
        recency_days, frequency or monetary: by the cut points of var
        rfm_<dimension>_bins when set, else the quantile score over the rows
        of the query (within `partition_by`). int_customer_rfm_scores and the
        repurchase evaluation's snapshots score the same way. -#}
    {%- set column = {'recency': 'recency_days', 'frequency': 'frequency', 'monetary': 'monetary'}[dimension] %}
    {%- set bins = var('rfm_' ~ dimension ~ '_bins') %}
    {%- set higher_is_better = dimension != 'recency' %}
    {%- if bins is not none -%}
        {{ bin_score(column, bins, higher_is_better=higher_is_better) }}
    {%- else -%}
        {{ quantile_score(column, higher_is_better=higher_is_better, partition_by=partition_by) }}
    {%- endif %}
{%- endmacro %}


{% macro rfm_scores_of_values(relation, dimension, partition_by=[]) -%}
    {#- rfm_score as a query with one row per distinct value of the
        dimension's column (never null) and partition of `relation`, its
        score in column `score`, to join back on the value. Recency and
        frequency take few distinct values, so a group-by and a join replace
        a window sort of every row (macros/scoring/quantile_score.sql,
        quantile_scores_of_values); monetary, nearly one value per customer,
        gains nothing and keeps rfm_score. -#}
    {%- set column = {'recency': 'recency_days', 'frequency': 'frequency', 'monetary': 'monetary'}[dimension] %}
    {%- set bins = var('rfm_' ~ dimension ~ '_bins') %}
    {%- set higher_is_better = dimension != 'recency' %}
    {%- if bins is not none %}
    select distinct
        {{ (partition_by + [column]) | join(', ') }},
        {{ bin_score(column, bins, higher_is_better=higher_is_better) }} as score
    from {{ relation }}
    {%- else %}
    {{ quantile_scores_of_values(relation, column, higher_is_better=higher_is_better, partition_by=partition_by) }}
    {%- endif %}
{%- endmacro %}
