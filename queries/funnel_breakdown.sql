-- Question: how far did the leads of each source (or other breakdown) get in the period?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per group_1 × group_2 with at least one lead counted at any stage
-- Uses: stages_in_period
-- Columns: {{group_1}}, {{group_2}}

with final as (
    select
        group_1,
        group_2,
        cast(sum(n_lead) as bigint) as n_lead,
        cast(sum(n_mql) as bigint) as n_mql,
        cast(sum(n_sal) as bigint) as n_sal,
        cast(sum(n_sql) as bigint) as n_sql,
        cast(sum(n_opportunity) as bigint) as n_opportunity,
        cast(sum(n_won) as bigint) as n_won,
        sum(won_amount_usd) as won_amount_usd
    from stages_in_period
    group by group_1, group_2
)

select * from final
order by n_lead desc, n_mql desc, group_1, group_2
