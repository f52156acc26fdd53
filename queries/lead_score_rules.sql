-- Question: which of the agreement's scoring rules gave one lead how many points, as of its hand-over?
-- Params: $lead_id
-- Grain: one row per rule that gave the lead points, fit rules first, in the agreement's order
-- The points are stg_lead_score_rules' (the rows score_rule_contributions sums): before the
-- caps, counting only touches and activities strictly before the lead's hand-over (the data's
-- end for a lead never handed over). No rows without a [scoring] section, or when no rule gave
-- the lead points; the capped total is lead_profile's handoff_score.

with lead as (
    select lead_key from stg_leads where lead_id = $lead_id
),

final as (
    select
        r.rule_type,
        r.rule_no,
        r.rule,
        r.points,
        r.n_events
    from stg_lead_score_rules as r
    inner join lead as l on l.lead_key = r.lead_key
)

select * from final
order by rule_type = 'engagement', rule_no
