{% macro bin_score(expression, bins, higher_is_better) -%}
    {#- A 1..5 score from 4 ascending cut points (var rfm_*_bins).
        Higher is better (frequency, monetary): 1 + the number of cut points the
        value reaches, so [2, 3, 4, 6] scores 1, 2, 3, 4-5 and 6+ orders as 1..5.
        Lower is better (recency): 5 - the number of cut points the value
        exceeds, so [30, 90, 180, 365] scores up to 30 days as 5 and over 365 as 1. -#}
    {%- set bins = bins if bins is iterable else [] %}  {#- a var not checked yet (parsing) -#}
    {%- if higher_is_better %}
    (1
        {%- for cut in bins %}
        + case when {{ expression }} >= {{ cut }} then 1 else 0 end
        {%- endfor %}
    )
    {%- else %}
    (5
        {%- for cut in bins %}
        - case when {{ expression }} > {{ cut }} then 1 else 0 end
        {%- endfor %}
    )
    {%- endif %}
{%- endmacro %}
