-- Question: which stages does each scoped lead count at within the period?
-- Params: $start_at, $end_at
-- Grain: one row per scoped lead that counts at some stage in the period
-- Uses: grouped_stages
-- 1 where the lead's <stage>_counts_at (see counted_stages) falls in [$start_at, $end_at), else
-- 0; won_amount_usd is its won revenue and days_to_win the days from its creation to its win,
-- when its win counts in the period. has_mql, has_sql and has_won say whether the lead reached
-- MQL, SQL and won at all by the data's end (what a score should predict), whatever the period.

with flagged as (
    select
        lead_key,
        score,
        group_1,
        group_2,
        mode_mql_at is not null as has_mql,
        mode_sql_at is not null as has_sql,
        mode_won_at is not null as has_won,
        case when lead_counts_at >= $start_at and lead_counts_at < $end_at then 1 else 0 end
            as n_lead,
        case when mql_counts_at >= $start_at and mql_counts_at < $end_at then 1 else 0 end
            as n_mql,
        case when sal_counts_at >= $start_at and sal_counts_at < $end_at then 1 else 0 end
            as n_sal,
        case when sql_counts_at >= $start_at and sql_counts_at < $end_at then 1 else 0 end
            as n_sql,
        case
            when opportunity_counts_at >= $start_at and opportunity_counts_at < $end_at then 1
            else 0
        end as n_opportunity,
        case when won_counts_at >= $start_at and won_counts_at < $end_at then 1 else 0 end
            as n_won,
        case
            when won_counts_at >= $start_at and won_counts_at < $end_at then won_amount else 0
        end as won_amount_usd,
        case
            when won_counts_at >= $start_at and won_counts_at < $end_at
                then (epoch(won_at) - epoch(created_at)) / 86400
        end as days_to_win
    from grouped_stages
)

select * from flagged
where n_lead + n_mql + n_sal + n_sql + n_opportunity + n_won > 0
