-- Question: which MQLs of the period did sales discard for this reason, or without one?
-- Params: $reason, $group, $limit, $periods, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs, $view, $strict, $scan_start_at, $scan_end_at
-- Grain: one row per MQL discarded with $reason, latest discard first (at most $limit;
-- n_total is the full count)
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}, {{scores}}
-- $reason is a bar of discard_reasons' Pareto: a discard with no reason is '(no reason given)',
-- the ones the agreement asks to discuss in the feedback session. $group NULL: every MQL of
-- the period; else only that group's (group_1), as discard_reasons. With the agreement's
-- [scoring] rules, each lead has its CRM score, Handoff's score as of its hand-over and its
-- grade (stg_lead_scores); without them, no score columns.

with discarded as (
    select *
    from mql_cohort
    where is_discarded and discard_reason = $reason and ($group is null or group_1 = $group)
),

ordered as (
    select
        lead_key,
        lead_id,
        owner,
        team,
        source,
        campaign,
        handover_at,
        discarded_at,
        account,
        count(*) over () as n_total
    from discarded
),

-- The first $limit, then their scores beside the lead's id: the join reads only the leads
-- listed.
listed as (
    select * from ordered
    order by discarded_at desc, lead_id
    limit $limit
),

final as (
    select l.lead_id{{scores}}, l.* exclude (lead_key, lead_id)
    from listed as l
    left join stg_lead_scores as sc on sc.lead_key = l.lead_key
)

select * from final
order by discarded_at desc, lead_id
