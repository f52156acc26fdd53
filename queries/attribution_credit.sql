-- Question: how much revenue does each channel (or campaign, or source) earn under each model?
-- Params: $sources, $campaigns, $owners, $teams, $attribute_pairs, $revenue, $start_at, $end_at,
--         $lookback_days, $half_life_days
-- Grain: one row per channel (or campaign or source), '(no touch)' for revenue with no touch
-- Uses: attributed_touches
-- Columns: {{credited}}
-- Each column is one heuristic model's credit in USD; every column sums to the revenue of the
-- period's events. Influence: the events a group touched at all and their revenue.

with credited as (
    select
        group_name,
        sum(amount_usd * first_touch) as first_touch,
        sum(amount_usd * last_touch) as last_touch,
        sum(amount_usd * linear) as linear,
        sum(amount_usd * u_shaped) as u_shaped,
        sum(amount_usd * w_shaped) as w_shaped,
        sum(amount_usd * full_path) as full_path,
        sum(amount_usd * time_decay) as time_decay
    from attributed_touches
    group by group_name
),

influence as (
    select group_name, count(*) as n_events_touched, sum(amount_usd) as revenue_touched_usd
    from (select distinct event_id, group_name, amount_usd from attributed_touches) as touched
    group by group_name
),

final as (
    select c.*, i.n_events_touched, i.revenue_touched_usd
    from credited as c
    inner join influence as i on i.group_name = c.group_name
)

select * from final
order by linear desc, group_name
