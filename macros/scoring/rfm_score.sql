{% macro rfm_score(dimension, partition_by=none) -%}
    {#- A customer's R, F or M score, 1 to 5 (docs/definitions.md §5), for
        `dimension` recency, frequency or monetary, read from the column
        recency_days, frequency or monetary: by the cut points of var
        rfm_<dimension>_bins when set, else the quantile score over the rows
        of the query (within `partition_by`). int_customer_rfm_scores and the
        repurchase evaluation's snapshots score the same way. -#}
    {%- set column = {'recency': 'recency_days', 'frequency': 'frequency', 'monetary': 'monetary'}[dimension] %}
    {%- set bins = get_var('rfm_' ~ dimension ~ '_bins') %}
    {%- set higher_is_better = dimension != 'recency' %}
    {%- if bins is not none -%}
        {{ bin_score(column, bins, higher_is_better=higher_is_better) }}
    {%- else -%}
        {{ quantile_score(column, higher_is_better=higher_is_better, partition_by=partition_by) }}
    {%- endif %}
{%- endmacro %}
