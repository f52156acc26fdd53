-- Question: how long did each lead take for each step it completed, on its own stage dates?
-- Params: $view
-- Grain: one row per lead × completed step
-- Uses: grouped_stages
-- A step's time runs from the lead's date of one stage to its date of the next; both must be
-- present and in order (a skipped stage has no time; dates out of order are left out). In
-- strict mode only leads strict up to the step's end count. counts_at places the step in a
-- period: the cohort date in cohort views, the step's completion in flow view.

with pairs as (
    select
        group_1, cohort_at, 1 as step_order, 'lead_to_mql' as step, created_at as from_at,
        mql_at as to_at, mode_mql_at as mode_to_at, mql_month as to_month
    from grouped_stages
    union all
    select
        group_1, cohort_at, 2 as step_order, 'mql_to_sal' as step, mql_at as from_at,
        sal_at as to_at, mode_sal_at as mode_to_at, sal_month as to_month
    from grouped_stages
    union all
    select
        group_1, cohort_at, 3 as step_order, 'sal_to_sql' as step, sal_at as from_at,
        sql_at as to_at, mode_sql_at as mode_to_at, sql_month as to_month
    from grouped_stages
    union all
    select
        group_1, cohort_at, 4 as step_order, 'sql_to_opportunity' as step, sql_at as from_at,
        opportunity_at as to_at, mode_opportunity_at as mode_to_at,
        opportunity_month as to_month
    from grouped_stages
    union all
    select
        group_1, cohort_at, 5 as step_order, 'opportunity_to_won' as step,
        opportunity_at as from_at, won_at as to_at, mode_won_at as mode_to_at, won_month as to_month
    from grouped_stages
)

select
    group_1,
    step_order,
    step,
    from_at,
    to_at,
    to_month,
    (epoch(to_at) - epoch(from_at)) / 86400 as days,
    case when $view = 'flow' then to_at else cohort_at end as counts_at
from pairs
where
    from_at is not null
    and to_at >= from_at
    and mode_to_at is not null
