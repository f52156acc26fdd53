-- Question: which leads breached the follow-up SLA, open breaches (still no follow-up) first?
-- Params: $start_at, $end_at, $limit
-- Grain: one row per lead handed over in the period that breached (at most $limit; n_total is
-- the full count)
-- Uses: handed_over
-- Open breaches first, then those followed up too late; oldest hand-over first within each.
-- hours_overdue is past the target, on the agreement's clock, at the follow-up or, for an open
-- breach, at the data's end.

with breaches as (
    select *
    from handed_over
    where handover_at >= $start_at and handover_at < $end_at and sla_status = 'breached'
),

final as (
    select
        lead_id,
        case when first_follow_up_at is null then 'open: no follow-up yet' else 'followed up late'
        end as breach,
        owner,
        team,
        source,
        campaign,
        handover_at,
        first_follow_up_at,
        coalesce(follow_up_hours, hours_waiting) as hours_on_clock,
        hours_overdue,
        disposition,
        count(*) over () as n_total
    from breaches
)

select * from final
order by first_follow_up_at is not null, handover_at, lead_id
limit $limit
