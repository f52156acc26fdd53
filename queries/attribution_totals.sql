-- Question: how many deals and how much revenue does the period credit, and how much has no touch?
-- Params: $sources, $campaigns, $owners, $teams, $attribute_pairs, $revenue, $start_at, $end_at,
--         $lookback_days, $half_life_days
-- Grain: one row
-- Uses: attributed_touches
-- Columns: {{credited}}

with events as (
    select distinct event_id, amount_usd, group_name = '(no touch)' as has_no_touch
    from attributed_touches
),

final as (
    select
        count(*) as n_events,
        coalesce(sum(amount_usd), 0) as revenue_usd,
        count(*) filter (where has_no_touch) as n_events_without_touch,
        coalesce(sum(amount_usd) filter (where has_no_touch), 0) as revenue_without_touch_usd
    from events
)

select * from final
