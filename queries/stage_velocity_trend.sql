-- Question: month by month, how many days did each step take?
-- Params: $trend_start_at, $end_at, $group, $step, $view
-- Grain: one row per month × step ($step NULL: every step; else that one)
-- Uses: step_durations
-- Columns: {{group_1}}, {{group_2}}
-- Months follow the view: the cohort's month (creation or hand-over) in cohort views, the month
-- the step was completed in flow view. A young cohort has had time only for its fast steps, so
-- its times are still growing: it is immature until the step's limit has passed since the
-- month's end (as in funnel_trend); flow months are always complete.

with in_window as (
    select
        counts_month as month,
        step_order,
        step,
        days
    from step_durations
    where
        counts_at >= $trend_start_at and counts_at < $end_at
        and ($group is null or group_1 = $group)
        and ($step is null or step = $step)
),

summary as (
    select
        month,
        step_order,
        step,
        count(*) as n_leads,
        quantile_cont(days, 0.5) as median_days,
        quantile_cont(days, 0.9) as p90_days
    from in_window
    group by month, step_order, step
),

final as (
    select
        s.*,
        $view = 'flow' or (
            epoch(settings.data_end_at)
            - epoch(cast(s.month + interval 1 month as timestamptz))
        ) / 86400 >= a.limit_days as is_mature
    from summary as s
    inner join agreement_steps as a on a.step = s.step
    cross join agreement_settings as settings
)

select * from final
order by month, step_order
