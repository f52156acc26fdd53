-- Question: how are the days a step took spread over fixed bins, for all leads or one group?
-- Params: $start_at, $end_at, $group, $step
-- Grain: one row per step × bin (every bin, empty ones included; $step NULL: every step)
-- Uses: step_durations
-- Columns: {{group_1}}, {{group_2}}
-- Bins are fixed so charts compare across periods: under a day, 1-3, 3-7, 7-14, 14-30, 30-60,
-- 60-90 and 90 days or more. $group NULL means all groups.

with bins as (
    select * from (
        values
        (1, '< 1 day', 0.0, 1.0),
        (2, '1–3 days', 1.0, 3.0),
        (3, '3–7 days', 3.0, 7.0),
        (4, '1–2 weeks', 7.0, 14.0),
        (5, '2–4 weeks', 14.0, 30.0),
        (6, '1–2 months', 30.0, 60.0),
        (7, '2–3 months', 60.0, 90.0),
        (8, '3 months +', 90.0, null)
    ) as t (bin_order, bin, from_days, to_days)
),

steps as (
    select step_order, step from agreement_steps
    where $step is null or step = $step
),

in_period as (
    select step, days from step_durations
    where
        counts_at >= $start_at and counts_at < $end_at
        and ($group is null or group_1 = $group)
        and ($step is null or step = $step)
),

final as (
    select
        s.step_order,
        s.step,
        b.bin_order,
        b.bin,
        count(d.days) as n_leads
    from steps as s
    cross join bins as b
    left join in_period as d
        on
            d.step = s.step
            and d.days >= b.from_days
            and (b.to_days is null or d.days < b.to_days)
    group by s.step_order, s.step, b.bin_order, b.bin
)

select * from final
order by step_order, bin_order
