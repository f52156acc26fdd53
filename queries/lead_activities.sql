-- Question: which sales activities did one lead have, in time order?
-- Params: $lead_id
-- Grain: one row per sales activity of the lead, oldest first
-- is_follow_up marks the lead's first follow-up (stg_leads.first_follow_up_at: the first
-- activity at or after its hand-over); an activity before the hand-over is no follow-up.
-- is_before_handover is NULL for a lead never handed over.

with lead as (
    select lead_key, handover_at, first_follow_up_at from stg_leads where lead_id = $lead_id
),

final as (
    select
        a.activity_at,
        a.activity_type,
        a.rep,
        a.activity_at < l.handover_at as is_before_handover,
        coalesce(a.activity_at = l.first_follow_up_at, false) as is_follow_up
    from activities as a
    inner join lead as l on l.lead_key = a.lead_key
)

select * from final
order by activity_at, activity_type, rep
