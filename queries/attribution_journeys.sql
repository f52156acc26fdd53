-- Question: how do leads move between channels before they convert or stop (Markov chain)?
-- Params: $revenue, $start_at, $end_at, $lookback_days, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs
-- Grain: one row per transition (from state, to state) with its count
-- Uses: scoped_leads
-- Columns: {{credited}}, {{credited_before}}, {{credited_from_leads}}
-- A journey is a lead's touches in order: for a lead with a revenue event of type $revenue in
-- the period, those in the $lookback_days before its first one (it converts there), as the
-- other models see them; for any other lead, those from $lookback_days before the period to its
-- end (it does not convert). States: '(start)', each channel (or campaign, or source: the runner
-- fills {{credited}} with the touch's, {{credited_before}} with the touch before it's, and
-- {{credited_from_leads}} says whether they are the lead's), '(conversion)', '(null)'. Journeys of converting and non-converting leads both count.
-- Each touch knows its lead's touch before it and the time of the one after it (stored at
-- import, in (touched_at, touch_key) order), so a step is counted without sorting: a touch's
-- journey starts with it when the touch before it falls outside the journey's window, and ends
-- with it when the touch after it does.
-- At 10 million leads a month's journeys hold some 23 million touches, so those are counted
-- the cheap way: every touch in scope as a step of a journey that does not convert (no join
-- with the few converting leads, no timestamp arithmetic per touch), then the converting leads'
-- touches (a few hundred thousand) are taken back out and counted in their own journeys. The
-- counts are integers, so the result is exact. Leads are joined only when a lead filter is set
-- or the states are lead sources (2.8 s before, 0.5 s after, for a month at 10 million).

with journey_leads as (
    -- Empty when every lead is in scope and states are not lead sources: every touch has its
    -- lead (orphans are rejected at import), so the join would only cost time.
    select lead_key, source as lead_source
    from scoped_leads
    where not (
        $sources is null and $campaigns is null and $owners is null and $teams is null
        and $attribute_pairs is null and not {{credited_from_leads}}
    )
),

conversions as (
    select
        lead_key,
        min(converted_at) as ends_at,
        min(converted_at) - to_microseconds(cast($lookback_days * 86400e6 as bigint)) as starts_at
    from stg_revenue_events
    where revenue_type = $revenue and converted_at >= $start_at and converted_at < $end_at
    group by lead_key
),

window_touches as not materialized (
    -- The touches of the leads in scope from $lookback_days before the period to its end (every
    -- journey lies within), each with its state and the state of the touch before it. Read twice
    -- below, and not materialized: the 23 million rows of a month at 10 million leads stream.
    select
        t.lead_key,
        t.touched_at,
        t.prev_touched_at,
        t.next_touched_at,
        {{credited}} as state,
        {{credited_before}} as prev_state,
        -- As a step of a journey that does not convert ([$lookback_days before the period, end)).
        coalesce(
            t.prev_touched_at
            >= $start_at - to_microseconds(cast($lookback_days * 86400e6 as bigint)),
            false
        ) as has_prev_in_window,
        t.next_touched_at is null or t.next_touched_at >= $end_at as is_last_in_window
    from touches as t
    left join journey_leads as e on e.lead_key = t.lead_key
    where
        t.touched_at >= $start_at - to_microseconds(cast($lookback_days * 86400e6 as bigint))
        and t.touched_at < $end_at
        and (
            e.lead_key is not null
            or (
                $sources is null and $campaigns is null and $owners is null and $teams is null
                and $attribute_pairs is null and not {{credited_from_leads}}
            )
        )
),

converting_touches as (
    select w.*, c.ends_at, c.starts_at
    from window_touches as w
    inner join conversions as c on c.lead_key = w.lead_key
),

steps as (
    -- Every touch, as a step of a journey that does not convert ...
    select
        false as converts,
        state,
        prev_state,
        has_prev_in_window as has_prev_in_journey,
        is_last_in_window as is_last_in_journey,
        count(*) as n_touches
    from window_touches
    group by all
    union all
    -- ... but a converting lead's touches are taken back out of those ...
    select false, state, prev_state, has_prev_in_window, is_last_in_window, -count(*)
    from converting_touches
    group by all
    union all
    -- ... and counted in its own journey, which converts.
    select
        true,
        state,
        prev_state,
        coalesce(prev_touched_at >= starts_at, false),
        next_touched_at is null or next_touched_at > ends_at,
        count(*)
    from converting_touches
    where touched_at >= starts_at and touched_at <= ends_at
    group by all
),

transitions as (
    select case when has_prev_in_journey then prev_state else '(start)' end as from_state,
        state as to_state,
        n_touches
    from steps
    union all
    select state as from_state,
        case when converts then '(conversion)' else '(null)' end as to_state,
        n_touches
    from steps
    where is_last_in_journey
),

final as (
    select from_state, to_state, sum(n_touches)::bigint as n_transitions
    from transitions
    group by from_state, to_state
    having sum(n_touches) <> 0
)

select * from final
order by from_state, to_state
