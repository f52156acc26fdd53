-- Question: how long did each lead take for each step it completed, on its own stage dates?
-- Params: $view
-- Grain: one row per lead × completed step
-- Uses: grouped_stages
-- A step's time runs from the lead's date of one stage to its date of the next; both must be
-- present and in order (a skipped stage has no time; dates out of order are left out). In
-- strict mode only leads strict up to the step's end count. counts_at places the step in a
-- period: the cohort date in cohort views, the step's completion in flow view; month_at the
-- same, by month.

with pairs as (
    select
        g.group_1,
        g.cohort_at,
        g.cohort_month,
        s.step_order,
        s.step,
        case s.step_order
            when 1 then g.created_at
            when 2 then g.mql_at
            when 3 then g.sal_at
            when 4 then g.sql_at
            else g.opportunity_at
        end as from_at,
        case s.step_order
            when 1 then g.mql_at
            when 2 then g.sal_at
            when 3 then g.sql_at
            when 4 then g.opportunity_at
            else g.won_at
        end as to_at,
        case s.step_order
            when 1 then g.mql_month
            when 2 then g.sal_month
            when 3 then g.sql_month
            when 4 then g.opportunity_month
            else g.won_month
        end as to_month,
        case s.step_order
            when 1 then g.mode_mql_at
            when 2 then g.mode_sal_at
            when 3 then g.mode_sql_at
            when 4 then g.mode_opportunity_at
            else g.mode_won_at
        end as mode_to_at
    from (
        -- Only the steps up to the furthest stage the lead reached can have been completed.
        select
            *,
            unnest(range(1, case furthest_stage
                when 'mql' then 2 when 'sal' then 3 when 'sql' then 4 when 'opportunity' then 5
                when 'won' then 6 else 1
            end)) as step_order
        from grouped_stages
    ) as g
    inner join agreement_steps as s on s.step_order = g.step_order
)

select
    group_1,
    step_order,
    step,
    from_at,
    to_at,
    to_month,
    (epoch(to_at) - epoch(from_at)) / 86400 as days,
    case when $view = 'flow' then to_at else cohort_at end as counts_at,
    case when $view = 'flow' then to_month else cohort_month end as counts_month
from pairs
where
    from_at is not null
    and to_at >= from_at
    and mode_to_at is not null
