-- Question: which active MQLs has nobody in sales touched for longer than the agreement allows?
-- Params: $limit, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per slipping lead, longest untouched first (at most $limit; n_total the count)
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}, {{scores}}
-- With the agreement's [scoring] rules, each lead has its CRM score, Handoff's score as of its
-- hand-over and its grade (stg_lead_scores); without them, no score columns.

with slipping as (
    select *
    from mql_cohort
    where is_slipping
),

ordered as (
    select
        lead_key,
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
),

-- The first $limit, then their scores beside the lead's id: the join reads only the leads
-- listed.
listed as (
    select * from ordered
    order by days_without_activity desc, lead_id
    limit $limit
),

final as (
    select l.lead_id{{scores}}, l.* exclude (lead_key, lead_id)
    from listed as l
    left join stg_lead_scores as sc on sc.lead_key = l.lead_key
)

select * from final
order by days_without_activity desc, lead_id
