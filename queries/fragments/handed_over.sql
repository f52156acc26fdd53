-- Question: which scoped leads were handed over to sales in each period?
-- Params: $scan_start_at, $scan_end_at, $periods, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs
-- Grain: one row per period × scoped lead handed over in it (stg_leads columns, period_index)
-- Uses: periods, scoped_leads
-- Follow-up is measured from the hand-over, so the follow-up queries and marketing's volume goal
-- date a lead by it, whatever the view. Only hand-overs inside the scan window can fall in a
-- period; leads are sorted by creation, so those created after the window (a hand-over is never
-- before creation, unless the dates are out of order) are skipped without being read.

with candidates as (
    select *
    from scoped_leads as l
    where
        l.handover_at >= $scan_start_at and l.handover_at < $scan_end_at
        and (l.created_at < $scan_end_at or l.is_out_of_order)
),

final as (
    select p.period_index, c.*
    from periods as p
    inner join candidates as c on c.handover_at >= p.start_at and c.handover_at < p.end_at
)

select * from final
