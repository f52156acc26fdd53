-- Question: which stages does each scoped lead count at within each period?
-- Params: $view, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per period × scoped lead that counts at some stage in it (or, in flow view,
-- whose won deals brought revenue in it)
-- Uses: periods, grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- 1 where the lead's <stage>_counts_at (see counted_stages) falls in the period, else 0; n_lost
-- likewise for a closed-lost opportunity. won_amount_usd is the revenue counted in the period:
-- in the cohort views all the won revenue of a cohort lead whose win counts (won by the
-- period's leads, whenever closed); in flow view the revenue of its deals won in the period
-- (stg_revenue_events, as attribution credits it), even when its first win came earlier.
-- days_to_win is the days from creation to the win, when the win counts in the period.
-- has_mql, has_sql and has_won say whether the lead reached MQL, SQL and won at all by the
-- data's end (what a score should predict), whatever the period; has_lost whether it is a
-- closed-lost opportunity.

with period_wins as (
    select p.period_index, e.lead_key, sum(e.amount_usd) as won_in_period_usd
    from periods as p
    inner join stg_revenue_events as e
        on e.revenue_type = 'won' and e.converted_at >= p.start_at and e.converted_at < p.end_at
    where $view = 'flow'
    group by p.period_index, e.lead_key
),

flagged as (
    select
        p.period_index,
        g.lead_key,
        g.score,
        g.group_1,
        g.group_2,
        g.mode_mql_at is not null as has_mql,
        g.mode_sql_at is not null as has_sql,
        g.mode_won_at is not null as has_won,
        g.lost_counts_at is not null as has_lost,
        g.won_amount,
        g.won_at,
        g.created_at,
        g.opportunity_to_won_days,
        g.opportunity_to_lost_days,
        case when g.lead_counts_at >= p.start_at and g.lead_counts_at < p.end_at then 1 else 0 end
            as n_lead,
        case when g.mql_counts_at >= p.start_at and g.mql_counts_at < p.end_at then 1 else 0 end
            as n_mql,
        case when g.sal_counts_at >= p.start_at and g.sal_counts_at < p.end_at then 1 else 0 end
            as n_sal,
        case when g.sql_counts_at >= p.start_at and g.sql_counts_at < p.end_at then 1 else 0 end
            as n_sql,
        case
            when g.opportunity_counts_at >= p.start_at and g.opportunity_counts_at < p.end_at
                then 1
            else 0
        end as n_opportunity,
        case when g.won_counts_at >= p.start_at and g.won_counts_at < p.end_at then 1 else 0 end
            as n_won,
        case when g.lost_counts_at >= p.start_at and g.lost_counts_at < p.end_at then 1 else 0 end
            as n_lost
    from periods as p
    cross join grouped_stages as g
),

final as (
    select
        f.period_index,
        f.lead_key,
        f.score,
        f.group_1,
        f.group_2,
        f.has_mql,
        f.has_sql,
        f.has_won,
        f.has_lost,
        f.n_lead,
        f.n_mql,
        f.n_sal,
        f.n_sql,
        f.n_opportunity,
        f.n_won,
        f.n_lost,
        case
            when $view = 'flow' then coalesce(w.won_in_period_usd, 0)
            when f.n_won = 1 then f.won_amount
            else 0
        end as won_amount_usd,
        case when f.n_won = 1 then (epoch(f.won_at) - epoch(f.created_at)) / 86400 end
            as days_to_win,
        case when f.n_won = 1 then f.opportunity_to_won_days end as days_to_close_won,
        case when f.n_lost = 1 then f.opportunity_to_lost_days end as days_to_close_lost
    from flagged as f
    left join period_wins as w on w.period_index = f.period_index and w.lead_key = f.lead_key
)

select * from final
where
    n_lead + n_mql + n_sal + n_sql + n_opportunity + n_won + n_lost > 0
    or won_amount_usd > 0
