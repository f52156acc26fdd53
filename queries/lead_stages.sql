-- Question: when did one lead reach each stage, and how long did each step take against the agreement's limit?
-- Params: $lead_id
-- Grain: one row per stage of the funnel (lead to won), in funnel order (none for an unknown id)
-- stage_at is the lead's own date of the stage (the MQL of a lead scored past the threshold is
-- its creation); entered_at counts a later stage's date as having passed it (stg_lead_stages).
-- A step's days are stg_leads' <step>_days (the lead's own two dates, present and in order) and
-- its limit the agreement's time_limits_days (agreement_steps). step_status: 'met' (within the
-- limit, the limit's day included) or 'over'; 'skipped' (no date of its own, passed by a later
-- stage's); 'not_reached'; 'no_start' (its own date, but the stage before it has none);
-- 'out_of_order' (its date is before the stage before it).

with lead as (
    select * from stg_leads where lead_id = $lead_id
),

stages as (
    select 1 as stage_order, 'lead' as stage, created_at as stage_at, created_at as entered_at,
        cast(null as varchar) as step, cast(null as double) as step_days,
        cast(null as timestamptz) as previous_at
    from lead
    union all
    select 2, 'mql', mql_at, entered_mql_at, 'lead_to_mql', lead_to_mql_days, created_at
    from lead
    union all
    select 3, 'sal', sal_at, entered_sal_at, 'mql_to_sal', mql_to_sal_days, mql_at
    from lead
    union all
    select 4, 'sql', sql_at, entered_sql_at, 'sal_to_sql', sal_to_sql_days, sal_at
    from lead
    union all
    select 5, 'opportunity', opportunity_at, entered_opportunity_at, 'sql_to_opportunity',
        sql_to_opportunity_days, sql_at
    from lead
    union all
    select 6, 'won', won_at, entered_won_at, 'opportunity_to_won', opportunity_to_won_days,
        opportunity_at
    from lead
),

final as (
    select
        s.stage_order,
        s.stage,
        s.stage_at,
        s.entered_at,
        s.step,
        s.step_days,
        st.limit_days,
        case
            when s.step is null then null
            when s.step_days is not null and s.step_days <= st.limit_days then 'met'
            when s.step_days is not null then 'over'
            when s.stage_at is null and s.entered_at is not null then 'skipped'
            when s.stage_at is null then 'not_reached'
            when s.previous_at is null then 'no_start'
            else 'out_of_order'
        end as step_status
    from stages as s
    left join agreement_steps as st on st.step = s.step
)

select * from final
order by stage_order
