-- Question: how many days does each step take: the quartiles, median and 90th percentile?
-- Params: $start_at, $end_at
-- Grain: one row per step × group_1; group_1 NULL is all groups together
-- Uses: step_durations
-- Columns: {{group_1}}, {{group_2}}

with in_period as (
    select * from step_durations
    where counts_at >= $start_at and counts_at < $end_at
),

final as (
    select
        step_order,
        step,
        group_1,
        count(*) as n_leads,
        quantile_cont(days, 0.25) as p25_days,
        quantile_cont(days, 0.5) as median_days,
        quantile_cont(days, 0.75) as p75_days,
        quantile_cont(days, 0.9) as p90_days
    from in_period
    group by grouping sets ((step_order, step, group_1), (step_order, step))
)

select * from final
order by step_order, group_1 nulls first
