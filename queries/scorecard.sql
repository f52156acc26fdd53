-- Question: how many leads reached each stage in the period and the one before, and what was won?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per period listed (period_index 1 the period, 2 the one before; or a trend's)
-- Uses: periods, stages_in_period
-- Columns: {{group_1}}, {{group_2}}
-- Counting follows counted_stages: a cohort (created or handed over in the period) and the
-- stages it has reached by the data's end, or the flow of stage entries in the period. Revenue
-- follows stages_in_period: won by the cohort's leads, or, in flow view, won in the period.
-- (The column slots come with stages_in_period, which puts each lead in its group: these totals add
-- the groups up, so callers leave the slots empty, for no grouping.)

with counts as (
    select
        period_index,
        sum(n_lead) as n_leads,
        sum(n_mql) as n_mql,
        sum(n_sal) as n_sal,
        sum(n_sql) as n_sql,
        sum(n_opportunity) as n_opportunity,
        sum(n_won) as n_won,
        sum(won_amount_usd) as won_amount_usd
    from stages_in_period
    group by period_index
),

final as (
    select
        p.period_index,
        cast(coalesce(c.n_leads, 0) as bigint) as n_leads,
        cast(coalesce(c.n_mql, 0) as bigint) as n_mql,
        cast(coalesce(c.n_sal, 0) as bigint) as n_sal,
        cast(coalesce(c.n_sql, 0) as bigint) as n_sql,
        cast(coalesce(c.n_opportunity, 0) as bigint) as n_opportunity,
        cast(coalesce(c.n_won, 0) as bigint) as n_won,
        coalesce(c.won_amount_usd, 0) as won_amount_usd
    from periods as p
    left join counts as c on c.period_index = p.period_index
)

select * from final
order by period_index
