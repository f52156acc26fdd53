-- Question: what share of the period's hand-overs had been followed up after so many hours?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $scan_start_at,
--         $scan_end_at
-- Grain: one row per hour mark (fixed marks from 0 to a week of the agreement's clock)
-- Uses: handed_over
-- n_within is the number of hand-overs followed up within the mark (on the agreement's clock);
-- the share's denominator n_handed_over counts every hand-over of the period except invalid
-- ones (never followed up leads stay in it, so the curve never reaches 100% while any wait).

with marks as (
    select unnest([0, 0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 40, 48, 72, 96, 120, 168])
        as hours
),

in_period as (
    select follow_up_hours, sla_status
    from handed_over
    where sla_status <> 'invalid'
),

final as (
    select
        m.hours,
        count(i.follow_up_hours) filter (where i.follow_up_hours <= m.hours) as n_within,
        (select count(*) from in_period) as n_handed_over
    from marks as m
    left join in_period as i on true
    group by m.hours
)

select * from final
order by hours
