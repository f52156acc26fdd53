-- Question: how much less often do leads convert when sales follows up slowly?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $scan_start_at,
--         $scan_end_at
-- Grain: one row per latency bucket, fastest first, then 'never' and 'invalid'
-- Uses: handed_over
-- Buckets are in calendar time (how long the lead really waited), as the speed-to-lead studies
-- measure it: under 5 minutes, 5-60 minutes, 1-4 hours, 4-24 hours, 1-3 days, over 3 days, and
-- never followed up. SQL and won mean reached by the data's end.

with buckets as (
    select * from (
        values
        (1, 'under 5 min', 0.0, 5 / 60.0),
        (2, '5–60 min', 5 / 60.0, 1.0),
        (3, '1–4 hours', 1.0, 4.0),
        (4, '4–24 hours', 4.0, 24.0),
        (5, '1–3 days', 24.0, 72.0),
        (6, 'over 3 days', 72.0, null),
        (7, 'never', null, null),
        (8, 'invalid (follow-up before hand-over)', null, null)
    ) as t (bucket_order, bucket, from_hours, to_hours)
),

in_period as (
    select
        case
            when sla_status = 'invalid' then 8
            when first_follow_up_at is null then 7
            when follow_up_calendar_hours < 5 / 60.0 then 1
            when follow_up_calendar_hours < 1 then 2
            when follow_up_calendar_hours < 4 then 3
            when follow_up_calendar_hours < 24 then 4
            when follow_up_calendar_hours < 72 then 5
            else 6
        end as bucket_order,
        is_sql,
        is_won
    from handed_over
),

counts as (
    select
        bucket_order,
        count(*) as n_leads,
        count(*) filter (where is_sql) as n_sql,
        count(*) filter (where is_won) as n_won
    from in_period
    group by bucket_order
),

final as (
    select
        b.bucket_order,
        b.bucket,
        coalesce(c.n_leads, 0) as n_leads,
        coalesce(c.n_sql, 0) as n_sql,
        coalesce(c.n_won, 0) as n_won
    from buckets as b
    left join counts as c on c.bucket_order = b.bucket_order
)

select * from final
order by bucket_order
