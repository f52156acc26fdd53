-- Question: which scoped leads are the MQLs of each period, and what became of each?
-- Params: $scan_start_at, $scan_end_at, $periods, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs, $view, $strict
-- Grain: one row per period × MQL of that period (grouped_stages columns, period_index)
-- Uses: periods, grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- The MQLs of a period are the leads counted at MQL in it (counted_stages): in the creation
-- cohort, created in it and handed over by the data's end; in the hand-over cohort and the flow
-- view, handed over in it. Accepted means reached SAL by the data's end (in the order mode
-- chosen); discarded means sales discarded it at some point, even if it came back later (its
-- disposition then says where it is now). account is the disposition, with the furthest stage
-- of an active lead.

with final as (
    select
        p.period_index,
        g.*,
        g.mode_sal_at is not null as is_accepted,
        case when g.is_active then 'active: ' || g.furthest_stage else g.disposition end
            as account,
        (epoch(g.data_end_at) - epoch(g.last_stage_change_at)) / 86400
            as days_since_stage_change
    from periods as p
    inner join (
        -- Only the leads counted at MQL inside the scan window can fall in a period: the
        -- constant filter runs before the range join, so the join sees only them.
        select * from grouped_stages
        where mql_counts_at >= $scan_start_at and mql_counts_at < $scan_end_at
    ) as g
        on g.mql_counts_at >= p.start_at and g.mql_counts_at < p.end_at
)

select * from final
