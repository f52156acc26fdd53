-- Question: for every possible MQL threshold, how many leads would sales get, and how good?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at, $score_by
-- Grain: one row per distinct score, highest first
-- Uses: scored_in_period
-- Columns: {{group_1}}, {{group_2}}
-- At threshold T every scored lead with score >= T is handed over: n_handed_over of them,
-- n_sql and n_won of which reached SQL and won by the data's end. Leads without a score are in
-- no row (the page counts them apart).

with scored as (
    select score, has_sql, has_won
    from scored_in_period
    where n_lead = 1 and score is not null
),

per_score as (
    select
        score,
        count(*) as n_leads,
        count(*) filter (where has_sql) as n_sql,
        count(*) filter (where has_won) as n_won
    from scored
    group by score
),

final as (
    select
        score as threshold,
        cast(sum(n_leads) over (order by score desc rows unbounded preceding) as bigint)
            as n_handed_over,
        cast(sum(n_sql) over (order by score desc rows unbounded preceding) as bigint) as n_sql,
        cast(sum(n_won) over (order by score desc rows unbounded preceding) as bigint) as n_won
    from per_score
)

select * from final
order by threshold desc
