-- Question: how many leads reached each stage of the funnel in the period?
-- Params: $start_at, $end_at, $view
-- Grain: one row per stage shown, in funnel order (the lead stage is left out of a hand-over
-- cohort, which starts at MQL)
-- Uses: counted_stages
-- n_previous_stage and n_first_stage are the denominators of step and cumulative conversion.

with counts as (
    select
        count(*) filter (where lead_counts_at >= $start_at and lead_counts_at < $end_at)
            as n_lead,
        count(*) filter (where mql_counts_at >= $start_at and mql_counts_at < $end_at) as n_mql,
        count(*) filter (where sal_counts_at >= $start_at and sal_counts_at < $end_at) as n_sal,
        count(*) filter (where sql_counts_at >= $start_at and sql_counts_at < $end_at) as n_sql,
        count(*) filter (
            where opportunity_counts_at >= $start_at and opportunity_counts_at < $end_at
        ) as n_opportunity,
        count(*) filter (where won_counts_at >= $start_at and won_counts_at < $end_at) as n_won
    from counted_stages
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
        n_leads,
        lag(n_leads) over (order by stage_order) as n_previous_stage,
        first_value(n_leads) over (order by stage_order) as n_first_stage
    from shown
)

select * from final
order by stage_order
