-- Question: over a window of hand-over months, how many MQLs did each source hand over, how many of them were won and for how much, and how long did winning take?
-- Params: $window_start_at, $window_end_at
-- Grain: one row overall (source NULL, first), then one row per source with MQLs in the window
-- The MQLs of the window are the leads handed over in it (handover_at, as marketing's volume
-- goal dates them), whatever any page's filters: the revenue goal is worked back from the whole
-- team's history. Won means the lead reached won by the data's end, whenever; its revenue is
-- its won amount (its won deals' amounts, or the lead's amount column), and a won lead with no
-- amount anywhere counts as won but not towards the deal size (n_won_with_amount). The cycle
-- time runs from the hand-over to the win, in days (a lead is never won before it is handed
-- over: the hand-over is at the latest at the win). Which months are mature for MQL → won is
-- the caller's choice of window (handoff/revenue_goal.py).

with handed_over as (
    select
        source,
        is_won,
        is_won and not is_won_without_amount as is_won_with_amount,
        case when is_won then won_amount end as won_amount_usd,
        case when is_won then (epoch(won_at) - epoch(handover_at)) / 86400 end as mql_to_won_days
    from stg_leads
    where handover_at >= $window_start_at and handover_at < $window_end_at
),

final as (
    select
        source,
        count(*) as n_mql,
        count(*) filter (where is_won) as n_won,
        count(*) filter (where is_won_with_amount) as n_won_with_amount,
        coalesce(sum(won_amount_usd), 0) as won_amount_usd,
        quantile_cont(mql_to_won_days, 0.5) as median_mql_to_won_days
    from handed_over
    group by grouping sets ((source), ())
)

select * from final
order by source is not null, n_mql desc, source
