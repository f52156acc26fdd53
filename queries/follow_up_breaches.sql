-- Question: which leads breached the follow-up SLA, the ones still waiting first?
-- Params: $limit
-- Grain: one row per lead handed over in the period that breached (at most $limit; n_total is
-- the full count, n_open the open breaches among them)
-- Uses: handed_over
-- Open breaches first (still active, no follow-up yet: the leads to act on), then leads closed
-- without follow-up, then those followed up too late; oldest hand-over first within each.
-- hours_overdue is past the target, on the agreement's clock, at the follow-up or, for an open
-- breach, at the data's end; a closed lead is not waiting, so it has none.

with breaches as (
    select *
    from handed_over
    where sla_status = 'breached'
),

final as (
    select
        lead_id,
        breach,
        owner,
        team,
        source,
        campaign,
        handover_at,
        first_follow_up_at,
        coalesce(follow_up_hours, hours_waiting) as hours_on_clock,
        hours_overdue,
        disposition,
        case breach when 'open' then 1 when 'closed without follow-up' then 2 else 3 end
            as breach_order,
        count(*) over () as n_total,
        count(*) filter (where is_open_breach) over () as n_open
    from breaches
)

select * exclude (breach_order) from final
order by breach_order, handover_at, lead_id
limit $limit
