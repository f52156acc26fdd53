-- Question: month by month, how many days did the steps completed in that month take?
-- Params: $trend_start_at, $end_at, $group
-- Grain: one row per month of completion × step
-- Uses: step_durations
-- Columns: {{group_1}}, {{group_2}}
-- Months are those in which the step was completed (the later stage's date), whatever the view.

with completed as (
    select
        to_month as month,
        step_order,
        step,
        days
    from step_durations
    where
        to_at >= $trend_start_at and to_at < $end_at
        and ($group is null or group_1 = $group)
),

final as (
    select
        month,
        step_order,
        step,
        count(*) as n_leads,
        quantile_cont(days, 0.5) as median_days,
        quantile_cont(days, 0.9) as p90_days
    from completed
    group by month, step_order, step
)

select * from final
order by month, step_order
