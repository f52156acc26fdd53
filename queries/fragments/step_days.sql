-- Question: how many days did each scoped lead take for one step, and when does that count?
-- Params: $view, $step, $sources, $campaigns, $owners, $teams, $attribute_pairs, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per scoped lead that completed $step (in the order mode chosen)
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- Days come from stg_leads (<step>_days: the lead's own dates, present and in order). In
-- strict mode a step counts only for leads strict up to its end. counts_at places the step in a
-- period: the cohort date in cohort views, the step's completion in flow view; counts_month is
-- the same by month.

with picked as (
    select
        group_1,
        cohort_at,
        cohort_month,
        case $step
            when 'lead_to_mql' then case when mode_mql_at is not null then lead_to_mql_days end
            when 'mql_to_sal' then case when mode_sal_at is not null then mql_to_sal_days end
            when 'sal_to_sql' then case when mode_sql_at is not null then sal_to_sql_days end
            when 'sql_to_opportunity'
                then case when mode_opportunity_at is not null then sql_to_opportunity_days end
            when 'opportunity_to_won'
                then case when mode_won_at is not null then opportunity_to_won_days end
        end as days,
        case $step
            when 'lead_to_mql' then mql_at
            when 'mql_to_sal' then sal_at
            when 'sal_to_sql' then sql_at
            when 'sql_to_opportunity' then opportunity_at
            when 'opportunity_to_won' then won_at
        end as to_at,
        case $step
            when 'lead_to_mql' then mql_month
            when 'mql_to_sal' then sal_month
            when 'sal_to_sql' then sql_month
            when 'sql_to_opportunity' then opportunity_month
            when 'opportunity_to_won' then won_month
        end as to_month
    from grouped_stages
)

select
    group_1,
    days,
    case when $view = 'flow' then to_at else cohort_at end as counts_at,
    case when $view = 'flow' then to_month else cohort_month end as counts_month
from picked
where days is not null
