-- Question: did sales follow up each period's hand-overs within the agreed time, and how fast?
-- Params: none
-- Grain: one row per period listed (period_index 1 the period, 2 the one before; or a trend's)
-- Uses: periods, handed_over
-- Leads count in the period of their hand-over; n_handed_over is also marketing's MQL volume.
-- % within SLA = met / (met + breached). Breached splits into followed up late, open (still
-- active, no follow-up yet: waiting past the target) and closed without follow-up; pending
-- leads (active, no follow-up yet, still inside the target) and invalid ones (a follow-up
-- stamped before the hand-over) are left out of the rate and counted apart, so met + breached +
-- pending + invalid = n_handed_over. Latency quantiles are on the agreement's clock, over leads
-- followed up, invalid ones excluded. Without follow-up data in the export every follow-up
-- count and latency is NULL: "no follow-up data", never 0.

with counts as (
    select
        period_index,
        count(*) as n_handed_over,
        count(*) filter (where sla_status = 'met') as n_met,
        count(*) filter (where sla_status = 'breached') as n_breached,
        count(*) filter (where breach = 'followed up late') as n_followed_up_late,
        count(*) filter (where is_open_breach) as n_open_breaches,
        count(*) filter (where breach = 'closed without follow-up')
            as n_closed_without_follow_up,
        count(*) filter (where sla_status = 'pending') as n_pending,
        count(*) filter (where sla_status = 'invalid') as n_invalid,
        count(*) filter (where first_follow_up_at is null) as n_not_followed_up,
        quantile_cont(follow_up_hours, 0.5) as median_hours,
        quantile_cont(follow_up_hours, 0.9) as p90_hours,
        quantile_cont(routing_hours, 0.5) as median_routing_hours,
        quantile_cont(rep_hours, 0.5) as median_rep_hours,
        count(routing_hours) as n_routed
    from handed_over
    group by period_index
),

final as (
    select
        p.period_index,
        d.has_follow_up_data,
        coalesce(c.n_handed_over, 0) as n_handed_over,
        case when d.has_follow_up_data then coalesce(c.n_met, 0) end as n_met,
        case when d.has_follow_up_data then coalesce(c.n_breached, 0) end as n_breached,
        case when d.has_follow_up_data then coalesce(c.n_followed_up_late, 0) end
            as n_followed_up_late,
        case when d.has_follow_up_data then coalesce(c.n_open_breaches, 0) end
            as n_open_breaches,
        case when d.has_follow_up_data then coalesce(c.n_closed_without_follow_up, 0) end
            as n_closed_without_follow_up,
        case when d.has_follow_up_data then coalesce(c.n_pending, 0) end as n_pending,
        case when d.has_follow_up_data then coalesce(c.n_invalid, 0) end as n_invalid,
        case when d.has_follow_up_data then coalesce(c.n_not_followed_up, 0) end
            as n_not_followed_up,
        c.median_hours,
        c.p90_hours,
        c.median_routing_hours,
        c.median_rep_hours,
        case when d.has_follow_up_data then coalesce(c.n_routed, 0) end as n_routed
    from periods as p
    cross join stg_dataset as d
    left join counts as c on c.period_index = p.period_index
)

select * from final
order by period_index
