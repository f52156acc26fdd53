-- Question: how often do leads in each score band reach SQL and win?
-- Params: $band_starts, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at, $score_by
-- Grain: one row per score band, lowest first, then one for leads without a score
-- Uses: scored_in_period
-- Columns: {{group_1}}, {{group_2}}
-- Leads are those counted as leads in the period; SQL and won mean reached by the data's end.
-- A band 'a–b' holds scores from a up to, not including, b. Bands
-- start at the agreement's $band_starts, or, when NULL, at the score deciles (cut points where
-- the score distribution passes 10%, 20%, ... 90%; equal scores always share a band).

with scored as (
    select score, has_sql, has_won
    from scored_in_period
    where n_lead = 1
),

edges as (
    select list_sort(list_distinct(coalesce(
        $band_starts,
        (
            select list_prepend(
                min(score),
                quantile_disc(score, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
            )
            from scored
            where score is not null
        )
    ))) as starts
),

banded as (
    select
        s.*,
        case
            when s.score is null then null
            else len(list_filter(e.starts, lambda x: x <= s.score))
        end as band_order
    from scored as s
    cross join edges as e
),

final as (
    select
        b.band_order,
        case
            when b.band_order is null then '(no score)'
            when b.band_order = 0 then 'below ' || printf('%g', e.starts[1])
            when b.band_order = len(e.starts)
                then printf('%g', e.starts[b.band_order]) || ' and above'
            else
                printf('%g', e.starts[b.band_order]) || '–'
                || printf('%g', e.starts[b.band_order + 1])
        end as band,
        min(b.score) as min_score,
        max(b.score) as max_score,
        count(*) as n_leads,
        count(*) filter (where b.has_sql) as n_sql,
        count(*) filter (where b.has_won) as n_won
    from banded as b
    cross join edges as e
    group by b.band_order, e.starts
)

select band_order, band, min_score, max_score, n_leads, n_sql, n_won from final
order by band_order nulls last
