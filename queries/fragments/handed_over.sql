-- Question: which scoped leads were handed over to sales, and could count in the window?
-- Params: $scan_start_at, $scan_end_at
-- Grain: one row per scoped lead with a hand-over (stg_leads columns)
-- Uses: scoped_leads
-- Follow-up is measured from the hand-over, so the follow-up queries date a lead by it. The
-- window only skips leads that cannot have a hand-over in it: created after it, or with every
-- stage date before it (a hand-over is never after the lead's last stage change).

select *
from scoped_leads as l
where
    l.handover_at is not null
    and (l.created_at < $scan_end_at or l.is_out_of_order)
    and l.last_stage_change_at >= $scan_start_at
