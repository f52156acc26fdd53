-- Question: how are the days a step took spread over fixed bins, for all leads or one group?
-- Params: $start_at, $end_at, $group, $sources, $campaigns, $owners, $teams, $attribute_pairs,
--         $view, $strict, $scan_start_at, $scan_end_at, $step
-- Grain: one row per bin (every bin, empty ones included)
-- Uses: step_days
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

in_period as (
    select days from step_days
    where
        counts_at >= $start_at and counts_at < $end_at
        and ($group is null or group_1 = $group)
),

binned as (
    select
        case
            when days < 1 then 1 when days < 3 then 2 when days < 7 then 3
            when days < 14 then 4 when days < 30 then 5 when days < 60 then 6
            when days < 90 then 7 else 8
        end as bin_order,
        count(*) as n_leads
    from in_period
    group by 1
),

final as (
    select
        b.bin_order,
        b.bin,
        b.from_days,
        b.to_days,
        coalesce(n.n_leads, 0) as n_leads
    from bins as b
    left join binned as n on n.bin_order = b.bin_order
)

select * from final
order by bin_order
