-- Question: what does sales need to know about one lead at hand-over: who, from where, its follow-up, its disposition and its score?
-- Params: $lead_id
-- Grain: one row for the lead whose id is $lead_id (none for an unknown id)
-- Every fact is the staging's (stg_leads, stg_lead_scores): the journey page shows a lead as the
-- other pages count it. The score is Handoff's as of the lead's hand-over (the data's end for a
-- lead never handed over), NULL without a [scoring] section; the CRM's own score stays beside it.

with lead as (
    select * from stg_leads where lead_id = $lead_id
),

final as (
    select
        l.lead_id,
        l.created_at,
        l.source,
        l.campaign,
        l.owner,
        l.team,
        l.furthest_stage,
        -- A lead never handed over has no disposition: said as the funnel's drill-down says it.
        coalesce(l.disposition, 'not handed over') as disposition,
        l.discard_reason,
        l.lost_at,
        l.discarded_at,
        l.recycled_at,
        l.is_out_of_order,
        l.handover_at,
        l.first_follow_up_at,
        l.follow_up_hours,
        l.follow_up_target_hours,
        l.hours_waiting,
        l.sla_status,
        l.hours_overdue,
        l.n_activities,
        l.won_amount,
        l.n_deals,
        l.score as crm_score,
        s.scored_at,
        s.is_scored_at_handover,
        s.fit_points,
        s.engagement_points,
        s.handoff_score,
        s.grade,
        l.data_end_at,
        -- Whether the export has any touches or follow-up at all: a lead without touches in an
        -- export that has none says "no touch data", not "no touches".
        ds.has_touch_data,
        ds.has_follow_up_data
    from lead as l
    left join stg_lead_scores as s on s.lead_key = l.lead_key
    cross join stg_dataset as ds
)

select * from final
