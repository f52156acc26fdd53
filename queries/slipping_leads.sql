-- Question: which active MQLs has nobody in sales touched for longer than the agreement allows?
-- Params: $limit, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per slipping lead, longest untouched first (at most $limit; n_total the count)
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}

with slipping as (
    select *
    from mql_cohort
    where is_slipping
),

final as (
    select
        lead_id,
        owner,
        team,
        source,
        campaign,
        furthest_stage,
        handover_at,
        last_stage_change_at,
        last_activity_at,
        days_without_activity,
        count(*) over () as n_total
    from slipping
)

select * from final
order by days_without_activity desc, lead_id
limit $limit
