-- Question: of the period's MQLs sent back to nurture, where is each now, and how long did they stay there?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per outcome (every one, empty ones included)
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- The MQLs of the period (mql_cohort) that were recycled at some point, by their disposition at
-- the data's end: 'still in nurture' (disposition recycled: the same leads the disposition
-- table counts as recycled), 'back with sales' (active again, at MQL or further), won, lost or
-- discarded. Days in nurture run from the recycling to the first stage or exit after it, or to
-- the data's end for leads still there.

with recycled as (
    select
        case
            when disposition = 'recycled' then 'still in nurture'
            when is_active then 'back with sales'
            else disposition
        end as outcome,
        recycled_at,
        data_end_at,
        least(
            case when mql_at > recycled_at then mql_at end,
            case when sal_at > recycled_at then sal_at end,
            case when sql_at > recycled_at then sql_at end,
            case when opportunity_at > recycled_at then opportunity_at end,
            case when won_at > recycled_at then won_at end,
            case when lost_at > recycled_at then lost_at end,
            case when discarded_at > recycled_at then discarded_at end
        ) as left_nurture_at
    from mql_cohort
    where was_recycled
),

outcomes as (
    select * from (
        values
        (1, 'still in nurture'), (2, 'back with sales'), (3, 'won'), (4, 'lost'),
        (5, 'discarded')
    ) as t (outcome_order, outcome)
),

final as (
    select
        o.outcome_order,
        o.outcome,
        count(r.outcome) as n_leads,
        quantile_cont(
            (epoch(coalesce(r.left_nurture_at, r.data_end_at)) - epoch(r.recycled_at)) / 86400,
            0.5
        ) as median_days_in_nurture
    from outcomes as o
    left join recycled as r on r.outcome = o.outcome
    group by o.outcome_order, o.outcome
)

select * from final
order by outcome_order
