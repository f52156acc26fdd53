-- Question: which leads breached the follow-up SLA, the ones still waiting first?
-- Params: $limit, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs,
--         $scan_start_at, $scan_end_at
-- Grain: one row per lead handed over in the period that breached (at most $limit; n_total is
-- the full count, n_open the open breaches among them)
-- Uses: handed_over
-- Columns: {{scores}}
-- Open breaches first (still active, no follow-up yet: the leads to act on), then leads closed
-- without follow-up, then those followed up too late; oldest hand-over first within each.
-- hours_overdue is past the target, on the agreement's clock, at the follow-up or, for an open
-- breach, at the data's end; a closed lead is not waiting, so it has none.
-- With the agreement's [scoring] rules, each lead has its CRM score, Handoff's score as of its
-- hand-over and its grade (stg_lead_scores); without them, no score columns.

with breaches as (
    select *
    from handed_over
    where sla_status = 'breached'
),

counts as (
    select count(*) as n_total, count(*) filter (where is_open_breach) as n_open
    from breaches
),

ordered as (
    select
        b.lead_key,
        b.lead_id,
        b.breach,
        b.owner,
        b.team,
        b.source,
        b.campaign,
        b.handover_at,
        b.first_follow_up_at,
        coalesce(b.follow_up_hours, b.hours_waiting) as hours_on_clock,
        b.hours_overdue,
        b.disposition,
        c.n_total,
        c.n_open,
        case b.breach when 'open' then 1 when 'closed without follow-up' then 2 else 3 end
            as breach_order
    from breaches as b
    cross join counts as c
),

-- The first $limit, then their scores beside the lead's id: the join reads only the leads
-- listed.
listed as (
    select * from ordered
    order by breach_order, handover_at, lead_id
    limit $limit
),

final as (
    select l.lead_id{{scores}}, l.* exclude (lead_key, lead_id)
    from listed as l
    left join stg_lead_scores as sc on sc.lead_key = l.lead_key
)

select * exclude (breach_order) from final
order by breach_order, handover_at, lead_id
