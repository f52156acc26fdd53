-- Question: when was each lead handed over, and when did sales first follow up after that?
-- Params: none
-- Grain: one row per lead
-- Creates: view
-- The hand-over is the first moment the lead is known to have reached MQL. The first follow-up
-- is the first activity at or after the hand-over; activity before it is not follow-up. Where a
-- lead has activities they outrank its first_contacted_at column.

with handovers as (
    select
        lead_key,
        entered_mql_at as handover_at,
        first_contacted_at
    from stg_lead_stages
),

activity_facts as (
    select
        a.lead_key,
        count(*) as n_activities,
        max(a.activity_at) as last_activity_at,
        min(a.activity_at) filter (where a.activity_at >= h.handover_at) as first_activity_at,
        count(*) filter (where a.activity_at < h.handover_at) as n_activities_before_handover
    from activities as a
    inner join handovers as h on h.lead_key = a.lead_key
    group by a.lead_key
),

final as (
    select
        h.lead_key,
        h.handover_at,
        coalesce(af.n_activities, 0) as n_activities,
        af.last_activity_at,
        coalesce(af.n_activities_before_handover, 0) as n_activities_before_handover,
        case
            when af.n_activities > 0 then af.first_activity_at
            else h.first_contacted_at
        end as first_follow_up_at
    from handovers as h
    left join activity_facts as af on af.lead_key = h.lead_key
)

select * from final
