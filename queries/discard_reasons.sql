-- Question: why were the period's MQLs discarded, most frequent reason first?
-- Params: $group, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per discard reason, most frequent first (a Pareto table)
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- $group NULL: every MQL of the period; else only that group's (group_1). A discard without a
-- reason is '(no reason given)': a process gap, not a reason. cumulative_share runs down the
-- Pareto order (ties by name).

with counts as (
    select discard_reason as reason, count(*) as n_discarded
    from mql_cohort
    where is_discarded and ($group is null or group_1 = $group)
    group by discard_reason
),

final as (
    select
        reason,
        n_discarded,
        n_discarded / sum(n_discarded) over () as share,
        sum(n_discarded) over (
            order by n_discarded desc, reason rows unbounded preceding
        ) / sum(n_discarded) over () as cumulative_share
    from counts
)

select * from final
order by n_discarded desc, reason
