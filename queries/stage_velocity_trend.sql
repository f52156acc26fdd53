-- Question: month by month, how many days did a step take?
-- Params: $trend_start_at, $end_at, $group, $step, $view, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs, $strict, $scan_start_at, $scan_end_at
-- Grain: one row per month with leads that completed $step
-- Uses: step_days
-- Columns: {{group_1}}, {{group_2}}
-- Months follow the view: the cohort's month (creation or hand-over) in cohort views, the month
-- the step was completed in flow view. A young cohort has had time only for its fast steps, so
-- its times are still growing: it is immature until the step's limit has passed since the
-- month's end (as in funnel_trend); flow months are always complete.

with in_window as (
    select counts_month as month, days
    from step_days
    where
        counts_at >= $trend_start_at and counts_at < $end_at
        and ($group is null or group_1 = $group)
),

summary as (
    select
        month,
        count(*) as n_leads,
        quantile_cont(days, 0.5) as median_days,
        quantile_cont(days, 0.9) as p90_days
    from in_window
    group by month
),

final as (
    select
        s.*,
        $view = 'flow' or (
            epoch(settings.data_end_at)
            - epoch(cast(s.month + interval 1 month as timestamptz))
        ) / 86400 >= a.limit_days as is_mature
    from summary as s
    cross join agreement_steps as a
    cross join agreement_settings as settings
    where a.step = $step
)

select * from final
order by month
