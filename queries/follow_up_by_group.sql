-- Question: who (owner, team) or what (source) waits longest for sales follow-up?
-- Params: none
-- Grain: one row per group_1 with hand-overs in the period
-- Uses: handed_over
-- Columns: {{group_1}}
-- The slot holds owner, team, source (or another lead column or attribute). Counts and
-- latencies as in follow_up_summary; routing and rep delay where leads have assigned_at.

with in_period as (
    select {{group_1}} as group_1, s.*
    from handed_over as s
),

final as (
    select
        group_1,
        count(*) as n_handed_over,
        count(*) filter (where sla_status = 'met') as n_met,
        count(*) filter (where sla_status = 'breached') as n_breached,
        count(*) filter (where is_open_breach) as n_open_breaches,
        count(*) filter (where sla_status = 'pending') as n_pending,
        count(*) filter (where sla_status = 'invalid') as n_invalid,
        count(*) filter (where first_follow_up_at is null) as n_not_followed_up,
        quantile_cont(follow_up_hours, 0.5) as median_hours,
        quantile_cont(follow_up_hours, 0.9) as p90_hours,
        quantile_cont(routing_hours, 0.5) as median_routing_hours,
        quantile_cont(rep_hours, 0.5) as median_rep_hours
    from in_period
    group by group_1
)

select * from final
order by n_handed_over desc, group_1
