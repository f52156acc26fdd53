-- Question: of the period's opportunities that closed, how many were won, and how long did won and lost ones take to close?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per outcome ('won', 'lost', 'open')
-- Uses: stages_in_period
-- Columns: {{group_1}}, {{group_2}}
-- The win rate of closed opportunities is won / (won + lost): the opportunity → won step rate
-- also counts the opportunities still open. Won and lost count as the funnel counts them (the
-- cohort's opportunities won or lost by the data's end, or, in flow view, won or lost in the
-- period); open ones reached opportunity in the period and are neither, yet. Cycle time runs
-- from the opportunity's creation to its close, on the lead's own dates (left out where they
-- are missing or out of order, so n_with_days can be below n_opportunities).

with outcomes as (
    select * from (values (1, 'won'), (2, 'lost'), (3, 'open')) as t (outcome_order, outcome)
),

closed as (
    select 'won' as outcome, days_to_close_won as days
    from stages_in_period
    where n_won = 1
    union all
    select 'lost' as outcome, days_to_close_lost as days
    from stages_in_period
    where n_lost = 1
    union all
    select 'open' as outcome, cast(null as double) as days
    from stages_in_period
    where n_opportunity = 1 and not has_won and not has_lost
),

final as (
    select
        o.outcome_order,
        o.outcome,
        count(c.outcome) as n_opportunities,
        count(c.days) as n_with_days,
        quantile_cont(c.days, 0.25) as p25_days,
        quantile_cont(c.days, 0.5) as median_days,
        quantile_cont(c.days, 0.75) as p75_days
    from outcomes as o
    left join closed as c on c.outcome = o.outcome
    group by o.outcome_order, o.outcome
)

select * from final
order by outcome_order
