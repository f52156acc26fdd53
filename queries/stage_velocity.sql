-- Question: how many days does each step take: the quartiles, median and 90th percentile?
-- Params: $start_at, $end_at, $view, $sources, $campaigns, $owners, $teams, $attribute_pairs,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per step × group_1; group_1 NULL is all groups together
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- Days are the leads' own stage dates (stg_leads <step>_days); in strict mode a step counts
-- only for leads strict up to its end. A step is in the period by the cohort date in cohort
-- views, by its completion in flow view. One pass computes every step.

with picked as (
    select
        group_1,
        case
            when mode_mql_at is not null
            and (case when $view = 'flow' then mql_at else cohort_at end) >= $start_at
            and (case when $view = 'flow' then mql_at else cohort_at end) < $end_at
                then lead_to_mql_days
        end as d1,
        case
            when mode_sal_at is not null
            and (case when $view = 'flow' then sal_at else cohort_at end) >= $start_at
            and (case when $view = 'flow' then sal_at else cohort_at end) < $end_at
                then mql_to_sal_days
        end as d2,
        case
            when mode_sql_at is not null
            and (case when $view = 'flow' then sql_at else cohort_at end) >= $start_at
            and (case when $view = 'flow' then sql_at else cohort_at end) < $end_at
                then sal_to_sql_days
        end as d3,
        case
            when mode_opportunity_at is not null
            and (case when $view = 'flow' then opportunity_at else cohort_at end) >= $start_at
            and (case when $view = 'flow' then opportunity_at else cohort_at end) < $end_at
                then sql_to_opportunity_days
        end as d4,
        case
            when mode_won_at is not null
            and (case when $view = 'flow' then won_at else cohort_at end) >= $start_at
            and (case when $view = 'flow' then won_at else cohort_at end) < $end_at
                then opportunity_to_won_days
        end as d5
    from grouped_stages
),

quantiles as (
    select
        group_1,
        count(d1) as n1, quantile_cont(d1, [0.25, 0.5, 0.75, 0.9]) as q1,
        count(d2) as n2, quantile_cont(d2, [0.25, 0.5, 0.75, 0.9]) as q2,
        count(d3) as n3, quantile_cont(d3, [0.25, 0.5, 0.75, 0.9]) as q3,
        count(d4) as n4, quantile_cont(d4, [0.25, 0.5, 0.75, 0.9]) as q4,
        count(d5) as n5, quantile_cont(d5, [0.25, 0.5, 0.75, 0.9]) as q5
    from picked
    group by grouping sets ((group_1), ())
),

steps as (
    select 1 as step_order, group_1, n1 as n_leads, q1 as q from quantiles
    union all
    select 2 as step_order, group_1, n2 as n_leads, q2 as q from quantiles
    union all
    select 3 as step_order, group_1, n3 as n_leads, q3 as q from quantiles
    union all
    select 4 as step_order, group_1, n4 as n_leads, q4 as q from quantiles
    union all
    select 5 as step_order, group_1, n5 as n_leads, q5 as q from quantiles
),

final as (
    select
        s.step_order,
        a.step,
        s.group_1,
        s.n_leads,
        s.q[1] as p25_days,
        s.q[2] as median_days,
        s.q[3] as p75_days,
        s.q[4] as p90_days
    from steps as s
    inner join agreement_steps as a on a.step_order = s.step_order
    where s.n_leads > 0
)

select * from final
order by step_order, group_1 nulls first
