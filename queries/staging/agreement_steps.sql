-- Question: which steps does the funnel have, and how many days does the agreement allow each?
-- Params: $step_limit_days
-- Grain: one row per step, in funnel order
-- $step_limit_days lists the agreement's time_limits_days in step order. A cohort younger than
-- a step's limit is immature for that step.

with steps as (
    select * from (
        values
        (1, 'lead_to_mql', 'lead', 'mql'),
        (2, 'mql_to_sal', 'mql', 'sal'),
        (3, 'sal_to_sql', 'sal', 'sql'),
        (4, 'sql_to_opportunity', 'sql', 'opportunity'),
        (5, 'opportunity_to_won', 'opportunity', 'won')
    ) as t (step_order, step, from_stage, to_stage)
),

final as (
    select
        step_order,
        step,
        from_stage,
        to_stage,
        cast($step_limit_days[step_order] as double) as limit_days
    from steps
)

select * from final
