-- Question: which touches share the credit of each revenue event of the period, and how much?
-- Params: $start_at, $end_at, $lookback_days, $half_life_days, $sources, $campaigns, $owners,
--         $teams, $attribute_pairs, $revenue
-- Grain: one row per revenue event × touch in its lookback window (events without a touch in
-- it appear once, with a NULL touch)
-- Uses: period_revenue_events
-- Columns: {{credited}}
-- The events are the period's (period_revenue_events). Touches count from $lookback_days before
-- the conversion up to it; touches at the same instant are ordered by their line in the touches
-- file. {{credited}} is what gets the credit: the touch's channel or campaign, or the lead's
-- source (filled by the runner, handoff.db.credited).
-- Milestones: F the first touch, L the lead-creation touch (the last at or before the lead was
-- created), O the opportunity-creation touch (the last at or before the deal was created), C the
-- last touch before the conversion. Models: U-shaped F 40%, L 40%, the others 20%; W-shaped F,
-- L, O 30% each, the others 10%; full path F, L, O, C 22.5% each, the others 10%; milestones
-- that coincide add up; a part that is missing (no L, no O, no other touch) has its share spread
-- over the parts present in proportion. Time decay: a touch's weight halves every
-- $half_life_days before the conversion. Every event's shares sum to 1.

with windowed as (
    select
        e.event_id,
        e.amount_usd,
        e.converted_at,
        e.lead_created_at,
        e.opportunity_at,
        t.touch_key,
        t.touched_at,
        {{credited}} as group_name
    from period_revenue_events as e
    left join (
        -- Every event's window lies within this span; touches are stored in time order, so
        -- the scan reads only these months.
        select * from touches
        where
            touched_at >= $start_at - to_microseconds(cast($lookback_days * 86400e6 as bigint))
            and touched_at < $end_at
    ) as t
        on
            t.lead_key = e.lead_key
            and t.touched_at <= e.converted_at
            and t.touched_at
            >= e.converted_at - to_microseconds(cast($lookback_days * 86400e6 as bigint))
),

positioned as (
    select
        *,
        row_number() over (partition by event_id order by touched_at, touch_key) as pos,
        count(touch_key) over (partition by event_id) as n_touches
    from windowed
),

milestones as (
    select
        *,
        max(case when touched_at <= lead_created_at then pos end)
            over (partition by event_id) as lead_pos,
        max(case when touched_at <= opportunity_at then pos end)
            over (partition by event_id) as opportunity_pos,
        pow(0.5, (epoch(converted_at) - epoch(touched_at)) / 86400 / $half_life_days)
            as decay_weight
    from positioned
),

roles as (
    select
        *,
        pos = 1 as is_first,
        pos = n_touches as is_last,
        coalesce(pos = lead_pos, false) as is_lead,
        coalesce(pos = opportunity_pos, false) as is_opportunity
    from milestones
),

rests as (
    select
        *,
        not (is_first or is_lead) as is_rest_u,
        not (is_first or is_lead or is_opportunity) as is_rest_w,
        not (is_first or is_lead or is_opportunity or is_last) as is_rest_f
    from roles
),

rest_counts as (
    select
        *,
        count(*) filter (where is_rest_u) over (partition by event_id) as n_rest_u,
        count(*) filter (where is_rest_w) over (partition by event_id) as n_rest_w,
        count(*) filter (where is_rest_f) over (partition by event_id) as n_rest_f,
        sum(decay_weight) over (partition by event_id) as decay_total
    from rests
),

final as (
    select
        event_id,
        amount_usd,
        touch_key,
        case when touch_key is null then '(no touch)' else group_name end as group_name,
        case when touch_key is null then 1.0 when is_first then 1.0 else 0.0 end as first_touch,
        case when touch_key is null then 1.0 when is_last then 1.0 else 0.0 end as last_touch,
        case when touch_key is null then 1.0 else 1.0 / n_touches end as linear,
        case
            when touch_key is null then 1.0
            else (
                0.4 * is_first::int + 0.4 * is_lead::int
                + case when is_rest_u then 0.2 / n_rest_u else 0 end
            ) / (0.4 + 0.4 * (lead_pos is not null)::int + 0.2 * (n_rest_u > 0)::int)
        end as u_shaped,
        case
            when touch_key is null then 1.0
            else (
                0.3 * is_first::int + 0.3 * is_lead::int + 0.3 * is_opportunity::int
                + case when is_rest_w then 0.1 / n_rest_w else 0 end
            ) / (
                0.3 + 0.3 * (lead_pos is not null)::int + 0.3 * (opportunity_pos is not null)::int
                + 0.1 * (n_rest_w > 0)::int
            )
        end as w_shaped,
        case
            when touch_key is null then 1.0
            else (
                0.225 * is_first::int + 0.225 * is_lead::int + 0.225 * is_opportunity::int
                + 0.225 * is_last::int
                + case when is_rest_f then 0.1 / n_rest_f else 0 end
            ) / (
                0.45 + 0.225 * (lead_pos is not null)::int
                + 0.225 * (opportunity_pos is not null)::int + 0.1 * (n_rest_f > 0)::int
            )
        end as full_path,
        case when touch_key is null then 1.0 else decay_weight / decay_total end as time_decay
    from rest_counts
)

select * from final
