-- Question: did sales follow up the period's hand-overs within the agreed time, and how fast?
-- Params: none
-- Grain: one row per period ('current', 'previous')
-- Uses: periods, handed_over
-- Leads count in the period of their hand-over. % within SLA = met / (met + breached); pending
-- leads (no follow-up yet, still inside the target at the data's end) and invalid ones (a
-- follow-up stamped before the hand-over) are left out of it and counted apart. Latency
-- quantiles are on the agreement's clock, over leads followed up, invalid ones excluded.

with in_period as (
    select p.period, p.start_at, p.end_at, h.*
    from periods as p
    left join handed_over as h
        on h.handover_at >= p.start_at and h.handover_at < p.end_at
),

final as (
    select
        period,
        start_at,
        end_at,
        count(lead_key) as n_handed_over,
        count(*) filter (where sla_status = 'met') as n_met,
        count(*) filter (where sla_status = 'breached') as n_breached,
        count(*) filter (where sla_status = 'pending') as n_pending,
        count(*) filter (where sla_status = 'invalid') as n_invalid,
        count(*) filter (where sla_status = 'breached' and first_follow_up_at is null)
            as n_open_breaches,
        count(*) filter (where lead_key is not null and first_follow_up_at is null)
            as n_not_followed_up,
        quantile_cont(follow_up_hours, 0.5) as median_hours,
        quantile_cont(follow_up_hours, 0.9) as p90_hours,
        quantile_cont(routing_hours, 0.5) as median_routing_hours,
        quantile_cont(rep_hours, 0.5) as median_rep_hours,
        count(routing_hours) as n_routed
    from in_period
    group by period, start_at, end_at
)

select * from final
order by period
