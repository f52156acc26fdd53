-- Question: how do leads move between channels before they convert or stop (Markov chain)?
-- Params: $revenue, $start_at, $end_at, $lookback_days, $by
-- Grain: one row per transition (from state, to state) with its count
-- Uses: scoped_leads
-- A journey is a lead's touches in order: for a lead with a revenue event of kind $revenue in
-- the period, those in the $lookback_days before its first one (it converts there), as the
-- other models see them; for any other lead, those from $lookback_days before the period to its
-- end (it does not convert). States: '(start)', each channel (or campaign, or source), '(conversion)',
-- '(null)'. Journeys of converting and non-converting leads both count.
-- Each touch knows its lead's touch before it and the time of the one after it (stored at
-- import, in (touched_at, touch_key) order), so a step is counted without sorting: a touch's
-- journey starts with it when the touch before it falls outside the journey's window, and ends
-- with it when the touch after it does.

with conversions as (
    select lead_key, min(converted_at) as converted_at
    from stg_revenue_events
    where kind = $revenue and converted_at >= $start_at and converted_at < $end_at
    group by lead_key
),

journey_touches as (
    select
        c.converted_at is not null as converts,
        case $by
            when 'campaign' then coalesce(t.campaign, '(no campaign)')
            when 'source' then l.source
            else t.channel
        end as state,
        case $by
            when 'campaign' then coalesce(t.prev_campaign, '(no campaign)')
            when 'source' then l.source
            else t.prev_channel
        end as prev_state,
        -- The journey's window: [starts_at, ends_at], or [starts_at, $end_at) for a lead that
        -- does not convert.
        t.prev_touched_at is not null
        and t.prev_touched_at
        >= coalesce(c.converted_at, $start_at)
        - to_microseconds(cast($lookback_days * 86400e6 as bigint)) as has_prev_in_journey,
        t.next_touched_at is null
        or (c.converted_at is not null and t.next_touched_at > c.converted_at)
        or (c.converted_at is null and t.next_touched_at >= $end_at) as is_last_in_journey
    from touches as t
    inner join scoped_leads as l on l.lead_key = t.lead_key
    left join conversions as c on c.lead_key = t.lead_key
    where
        -- The first line bounds the scan (touches are stored in time order); the second is
        -- each journey's own start.
        t.touched_at >= $start_at - to_microseconds(cast($lookback_days * 86400e6 as bigint))
        and t.touched_at >= coalesce(c.converted_at, $start_at)
        - to_microseconds(cast($lookback_days * 86400e6 as bigint))
        and t.touched_at < $end_at
        and (c.converted_at is null or t.touched_at <= c.converted_at)
),

transitions as (
    select case when has_prev_in_journey then prev_state else '(start)' end as from_state,
        state as to_state
    from journey_touches
    union all
    select state as from_state, case when converts then '(conversion)' else '(null)' end
    from journey_touches
    where is_last_in_journey
),

final as (
    select from_state, to_state, count(*) as n_transitions
    from transitions
    group by from_state, to_state
)

select * from final
order by from_state, to_state
