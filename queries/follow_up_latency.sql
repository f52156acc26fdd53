-- Question: how long did sales take to follow up each period's hand-overs, overall or per group?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $scan_start_at,
--         $scan_end_at
-- Grain: one row per period listed (period_index 1 the period, 2 the one before; or a trend's),
-- or, with a group in the slot, one per period × group_1 with hand-overs
-- Uses: periods, handed_over
-- Columns: {{group_1}}
-- Quantiles of the hours from hand-over to the first follow-up, on the agreement's clock, over
-- the leads followed up (invalid ones, with a follow-up before the hand-over, excluded); routing
-- and rep delay where leads carry assigned_at. NULL where nobody was followed up.

with latency as (
    select
        period_index,
        {{group_1}} as group_1,
        quantile_cont(follow_up_hours, 0.5) as median_hours,
        quantile_cont(follow_up_hours, 0.9) as p90_hours,
        quantile_cont(routing_hours, 0.5) as median_routing_hours,
        quantile_cont(rep_hours, 0.5) as median_rep_hours
    from handed_over as s
    group by period_index, group_1
),

final as (
    select
        p.period_index,
        l.group_1,
        l.median_hours,
        l.p90_hours,
        l.median_routing_hours,
        l.median_rep_hours
    from periods as p
    left join latency as l on l.period_index = p.period_index
)

select * from final
order by period_index, group_1
