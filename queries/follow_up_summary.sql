-- Question: how many MQLs were handed over in each period, overall and per group, and did sales follow them up within the agreed time?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $scan_start_at,
--         $scan_end_at
-- Grain: one row per period listed × group_1, and one per period for every group together
-- (group_1 NULL); period_index 1 is the period, 2 the one before, then a trend's
-- Uses: periods, handed_over
-- Columns: {{group_1}}
-- Leads count in the period of their hand-over: n_handed_over is marketing's MQL volume (and,
-- per source, its volume against a source's goal). The slot holds source, owner, team or a lead
-- attribute (never NULL for a lead: blanks have their own label), or nothing: then only the
-- rows for every group together. % within SLA = met / (met + breached).
-- Breached splits into followed up late, open (still active, no follow-up yet: waiting past the
-- target) and closed without follow-up; pending leads (active, no follow-up yet, still inside
-- the target) and invalid ones (a follow-up stamped before the hand-over) are left out of the
-- rate and counted apart, so met + breached + pending + invalid = n_handed_over. Without
-- follow-up data in the export every follow-up count is NULL: "no follow-up data", never 0.
-- The latency quantiles are follow_up_latency's.

with by_group as (
    select
        period_index,
        {{group_1}} as group_1,
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
        count(routing_hours) as n_routed
    from handed_over as s
    group by period_index, group_1
),

totals as (
    -- Every lead is in one group, so the groups' counts add up to every group together;
    -- summing the small per-group result spares a second pass over the hand-overs.
    select
        period_index,
        sum(n_handed_over) as n_handed_over,
        sum(n_met) as n_met,
        sum(n_breached) as n_breached,
        sum(n_followed_up_late) as n_followed_up_late,
        sum(n_open_breaches) as n_open_breaches,
        sum(n_closed_without_follow_up) as n_closed_without_follow_up,
        sum(n_pending) as n_pending,
        sum(n_invalid) as n_invalid,
        sum(n_not_followed_up) as n_not_followed_up,
        sum(n_routed) as n_routed
    from by_group
    group by period_index
),

overall as (
    -- Every period, with or without hand-overs, for every group together; then the groups.
    select p.period_index, cast(null as varchar) as group_1, t.* exclude (period_index)
    from periods as p
    left join totals as t on t.period_index = p.period_index
    union all
    select * from by_group
    where group_1 is not null
),

final as (
    select
        o.period_index,
        o.group_1,
        d.has_follow_up_data,
        cast(coalesce(o.n_handed_over, 0) as bigint) as n_handed_over,
        case when d.has_follow_up_data then cast(coalesce(o.n_met, 0) as bigint) end as n_met,
        case when d.has_follow_up_data then cast(coalesce(o.n_breached, 0) as bigint) end as n_breached,
        case when d.has_follow_up_data then cast(coalesce(o.n_followed_up_late, 0) as bigint) end
            as n_followed_up_late,
        case when d.has_follow_up_data then cast(coalesce(o.n_open_breaches, 0) as bigint) end
            as n_open_breaches,
        case when d.has_follow_up_data then cast(coalesce(o.n_closed_without_follow_up, 0) as bigint) end
            as n_closed_without_follow_up,
        case when d.has_follow_up_data then cast(coalesce(o.n_pending, 0) as bigint) end as n_pending,
        case when d.has_follow_up_data then cast(coalesce(o.n_invalid, 0) as bigint) end as n_invalid,
        case when d.has_follow_up_data then cast(coalesce(o.n_not_followed_up, 0) as bigint) end
            as n_not_followed_up,
        case when d.has_follow_up_data then cast(coalesce(o.n_routed, 0) as bigint) end as n_routed
    from overall as o
    cross join stg_dataset as d
)

select * from final
order by period_index, group_1 nulls first
