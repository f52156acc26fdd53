-- Question: which marketing touches did one lead have, in time order?
-- Params: $lead_id
-- Grain: one row per touch of the lead, oldest first
-- is_before_handover: the touch came strictly before the lead's hand-over (entered MQL), so it
-- is part of what marketing knew when it handed the lead over (the only touches the score
-- counts); NULL for a lead never handed over.

with lead as (
    select lead_key, handover_at from stg_leads where lead_id = $lead_id
),

final as (
    select
        t.touched_at,
        t.channel,
        t.campaign,
        t.touch_type,
        t.touched_at < l.handover_at as is_before_handover
    from touches as t
    inner join lead as l on l.lead_key = t.lead_key
)

select * from final
order by touched_at, channel, campaign, touch_type
