-- Question: at another MQL threshold, how many leads would sales get, and which converters miss?
-- Params: $threshold, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at, $score_by
-- Grain: one row
-- Uses: scored_in_period
-- Columns: {{group_1}}, {{group_2}}
-- Of the period's leads: n_handed_over_now are the MQLs as it is (by the data's end);
-- n_handed_over_at_threshold the scored leads at or above $threshold; n_sql_missed and
-- n_won_missed the leads that reached SQL or won but score below $threshold (so would not have
-- been handed over); n_unscored the leads without a score, which a threshold cannot judge.

with leads as (
    select score, has_mql, has_sql, has_won
    from scored_in_period
    where n_lead = 1
),

final as (
    select
        count(*) filter (where has_mql) as n_handed_over_now,
        count(*) filter (where score >= $threshold) as n_handed_over_at_threshold,
        count(*) filter (where score >= $threshold and has_sql) as n_sql_at_threshold,
        count(*) filter (where score >= $threshold and has_won) as n_won_at_threshold,
        count(*) filter (where score < $threshold and has_sql) as n_sql_missed,
        count(*) filter (where score < $threshold and has_won) as n_won_missed,
        count(*) filter (where has_sql) as n_sql,
        count(*) filter (where has_won) as n_won,
        count(*) filter (where score is null) as n_unscored
    from leads
)

select * from final
