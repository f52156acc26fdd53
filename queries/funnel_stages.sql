-- Question: how many leads reached each stage of the funnel in the period?
-- Params: $view, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per stage shown, in funnel order (the lead stage is left out of a hand-over
-- cohort, which starts at MQL)
-- Uses: stages_in_period
-- Columns: {{group_1}}, {{group_2}}
-- n_previous_stage and n_first_stage are the denominators of step and cumulative conversion.
-- (The column slots come with stages_in_period, which puts each lead in its group: these totals add
-- the groups up, so callers leave the slots empty, for no grouping.)

with counts as (
    select
        coalesce(sum(n_lead), 0) as n_lead,
        coalesce(sum(n_mql), 0) as n_mql,
        coalesce(sum(n_sal), 0) as n_sal,
        coalesce(sum(n_sql), 0) as n_sql,
        coalesce(sum(n_opportunity), 0) as n_opportunity,
        coalesce(sum(n_won), 0) as n_won
    from stages_in_period
),

stages as (
    select 1 as stage_order, 'lead' as stage, n_lead as n_leads from counts
    union all
    select 2 as stage_order, 'mql' as stage, n_mql as n_leads from counts
    union all
    select 3 as stage_order, 'sal' as stage, n_sal as n_leads from counts
    union all
    select 4 as stage_order, 'sql' as stage, n_sql as n_leads from counts
    union all
    select 5 as stage_order, 'opportunity' as stage, n_opportunity as n_leads from counts
    union all
    select 6 as stage_order, 'won' as stage, n_won as n_leads from counts
),

shown as (
    select * from stages
    where not ($view = 'handover' and stage = 'lead')
),

final as (
    select
        stage_order,
        stage,
        cast(n_leads as bigint) as n_leads,
        cast(lag(n_leads) over (order by stage_order) as bigint) as n_previous_stage,
        cast(first_value(n_leads) over (order by stage_order) as bigint) as n_first_stage
    from shown
)

select * from final
order by stage_order
