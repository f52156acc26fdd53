-- Question: month by month, did each team keep its commitments: MQLs handed over, followed up in time, accepted, discarded?
-- Params: $trend_start_at, $end_at
-- Grain: one row per month of hand-over × source; source NULL is every source together
-- Uses: handed_over
-- A month's MQLs are the leads handed over in it (entered MQL or a later stage), as the
-- follow-up page and marketing's volume goal date them. Followed up in time: met of met +
-- breached (pending leads are not judged yet). Accepted: reached SAL by the data's end.
-- Discarded: discarded at some point.

with months as (
    select
        entered_mql_month as month_start,
        source,
        sla_status,
        is_sal,
        is_discarded
    from handed_over
    where handover_at >= $trend_start_at and handover_at < $end_at
),

final as (
    select
        month_start,
        source,
        count(*) as n_handed_over,
        count(*) filter (where sla_status = 'met') as n_met,
        count(*) filter (where sla_status = 'breached') as n_breached,
        count(*) filter (where is_sal) as n_accepted,
        count(*) filter (where is_discarded) as n_discarded
    from months
    group by grouping sets ((month_start), (month_start, source))
)

select * from final
order by month_start, source nulls first
