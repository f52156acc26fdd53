-- Question: what became of the leads sent back to nurture, and how long did they stay there?
-- Params: $start_at, $end_at, $scan_start_at, $scan_end_at
-- Grain: one row per outcome (every one, empty ones included)
-- Uses: scoped_leads
-- A lead recycled in the period is, at the data's end: 'converted' if it reached SQL,
-- opportunity or won after its recycling; 'discarded' if discarded after it; 'MQL again' if
-- handed over again after it (and nothing further yet); else 'still in nurture'. Days in
-- nurture run from the recycling to the next hand-over, or to the data's end.

with recycled as (
    select
        *,
        greatest(sql_at, opportunity_at, won_at) > recycled_at as has_converted_after,
        discarded_at > recycled_at as is_discarded_after,
        mql_at > recycled_at as is_mql_again
    from scoped_leads
    where
        recycled_at >= $start_at and recycled_at < $end_at
        -- Skips leads that cannot have been recycled in the window (see handed_over).
        and (created_at < $scan_end_at or is_out_of_order)
        and last_stage_change_at >= $scan_start_at
),

classified as (
    select
        case
            when coalesce(has_converted_after, false) then 'converted'
            when coalesce(is_discarded_after, false) then 'discarded'
            when coalesce(is_mql_again, false) then 'MQL again'
            else 'still in nurture'
        end as outcome,
        (
            epoch(case when coalesce(is_mql_again, false) then mql_at else data_end_at end)
            - epoch(recycled_at)
        ) / 86400 as days_in_nurture
    from recycled
),

outcomes as (
    select * from (
        values (1, 'converted'), (2, 'MQL again'), (3, 'discarded'), (4, 'still in nurture')
    ) as t (outcome_order, outcome)
),

final as (
    select
        o.outcome_order,
        o.outcome,
        count(c.outcome) as n_leads,
        quantile_cont(c.days_in_nurture, 0.5) as median_days_in_nurture
    from outcomes as o
    left join classified as c on c.outcome = o.outcome
    group by o.outcome_order, o.outcome
)

select * from final
order by outcome_order
