-- Every (R, F, M) score combination falls in exactly one segment of the map in
-- use: returns the combinations that fall in none or in several.
with

segment_map as (
    select * from {{ ref('rfm_segment_map') }}
),

scores as (
    select 1 as score
    union all
    select 2 as score
    union all
    select 3 as score
    union all
    select 4 as score
    union all
    select 5 as score
),

combinations as (
    select
        r.score as r_score,
        f.score as f_score,
        m.score as m_score
    from scores as r
    cross join scores as f
    cross join scores as m
),

matches as (
    select
        combinations.r_score,
        combinations.f_score,
        combinations.m_score,
        count(segment_map.rfm_segment) as segments
    from combinations
    left join segment_map
        on
            combinations.r_score between segment_map.r_score_min and segment_map.r_score_max
            and combinations.f_score between segment_map.f_score_min and segment_map.f_score_max
            and combinations.m_score between coalesce(segment_map.m_score_min, 1)
            and coalesce(segment_map.m_score_max, 5)
    group by combinations.r_score, combinations.f_score, combinations.m_score
)

select * from matches
where segments != 1
