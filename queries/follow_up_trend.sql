-- Question: week by week (or month by month), is sales getting faster at following up?
-- Params: $trend_start_at, $end_at, $grain
-- Grain: one row per week or month ($grain 'week' or 'month') of hand-over
-- Uses: handed_over
-- Weeks start on Monday, in the agreement's time zone.

with in_window as (
    select
        case $grain when 'week' then entered_mql_week else entered_mql_month end as period_start,
        sla_status,
        follow_up_hours
    from handed_over
    where handover_at >= $trend_start_at and handover_at < $end_at
),

final as (
    select
        period_start,
        count(*) as n_handed_over,
        count(*) filter (where sla_status = 'met') as n_met,
        count(*) filter (where sla_status = 'breached') as n_breached,
        count(*) filter (where sla_status = 'pending') as n_pending,
        quantile_cont(follow_up_hours, 0.5) as median_hours,
        quantile_cont(follow_up_hours, 0.9) as p90_hours
    from in_window
    group by period_start
)

select * from final
order by period_start
