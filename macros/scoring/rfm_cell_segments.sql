{% macro rfm_cell_segments(segment_map) -%}
    {#- A query with, for each of the 125 RFM cells (r_score, f_score and
        m_score 1 to 5), the rows of `segment_map` (the rfm_segment_map
        seed) whose score ranges hold it; a missing m range holds every m
        score. Joined to the customers on equal scores, the ranges are
        matched once per cell instead of once per customer: a range join
        over every customer was much of rfm_segments' time (DECISIONS.md,
        Performance). -#}
    {%- set one_to_five -%}
        select 1 as score union all select 2 union all select 3 union all select 4 union all select 5
    {%- endset %}
    select
        r_values.score as r_score,
        f_values.score as f_score,
        m_values.score as m_score,
        {{ segment_map }}.*
    from ({{ one_to_five }}) as r_values
    cross join ({{ one_to_five }}) as f_values
    cross join ({{ one_to_five }}) as m_values
    inner join {{ segment_map }}
        on
            r_values.score between {{ segment_map }}.r_score_min and {{ segment_map }}.r_score_max
            and f_values.score between {{ segment_map }}.f_score_min and {{ segment_map }}.f_score_max
            and m_values.score between coalesce({{ segment_map }}.m_score_min, 1)
            and coalesce({{ segment_map }}.m_score_max, 5)
{%- endmacro %}
