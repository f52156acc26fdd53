-- Question: when was each lead handed over, and when did sales first follow up after that?
-- Params: none
-- Grain: one row per lead
-- The hand-over is the first moment the lead is known to have reached MQL. The first follow-up
-- is the first activity at or after the hand-over; activity before it is not follow-up. Where a
-- lead has activities they outrank its first_contacted_at column.

with activity_facts as (
    select
        lead_id,
        count(*) as n_activities,
        max(activity_at) as last_activity_at
    from activities
    group by lead_id
),

first_after_handover as (
    select
        s.lead_id,
        min(a.activity_at) filter (where a.activity_at >= s.entered_mql_at) as first_activity_at,
        count(*) filter (where a.activity_at < s.entered_mql_at) as n_activities_before_handover
    from stg_lead_stages as s
    inner join activities as a on a.lead_id = s.lead_id
    where s.entered_mql_at is not null
    group by s.lead_id
),

final as (
    select
        s.lead_id,
        s.entered_mql_at as handover_at,
        coalesce(af.n_activities, 0) as n_activities,
        af.last_activity_at,
        coalesce(f.n_activities_before_handover, 0) as n_activities_before_handover,
        case
            when af.n_activities > 0 then f.first_activity_at
            else s.first_contacted_at
        end as first_follow_up_at
    from stg_lead_stages as s
    left join activity_facts as af on af.lead_id = s.lead_id
    left join first_after_handover as f on f.lead_id = s.lead_id
)

select * from final
