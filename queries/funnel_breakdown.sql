-- Question: how far did the leads of each source (or other breakdown) get in the period?
-- Params: $start_at, $end_at
-- Grain: one row per group_1 × group_2 with at least one lead counted at any stage
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}

with counts as (
    select
        group_1,
        group_2,
        count(*) filter (where lead_counts_at >= $start_at and lead_counts_at < $end_at)
            as n_lead,
        count(*) filter (where mql_counts_at >= $start_at and mql_counts_at < $end_at) as n_mql,
        count(*) filter (where sal_counts_at >= $start_at and sal_counts_at < $end_at) as n_sal,
        count(*) filter (where sql_counts_at >= $start_at and sql_counts_at < $end_at) as n_sql,
        count(*) filter (
            where opportunity_counts_at >= $start_at and opportunity_counts_at < $end_at
        ) as n_opportunity,
        count(*) filter (where won_counts_at >= $start_at and won_counts_at < $end_at) as n_won,
        coalesce(sum(won_amount) filter (
            where won_counts_at >= $start_at and won_counts_at < $end_at
        ), 0) as won_amount_usd
    from grouped_stages
    group by group_1, group_2
),

final as (
    select * from counts
    where n_lead + n_mql + n_sal + n_sql + n_opportunity + n_won > 0
)

select * from final
order by n_lead desc, n_mql desc, group_1, group_2
