-- Question: whose MQLs (source, campaign, owner, team) are accepted least and discarded most?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per group_1 with MQLs in the period
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}

with final as (
    select
        group_1,
        count(*) as n_mql,
        count(*) filter (where is_accepted) as n_accepted,
        count(*) filter (where is_discarded) as n_discarded,
        count(*) filter (where is_discarded_without_reason) as n_discarded_no_reason
    from mql_cohort
    group by group_1
)

select * from final
order by n_mql desc, group_1
