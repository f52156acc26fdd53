-- Question: where is every MQL of the period now: won, lost, discarded, recycled or active?
-- Params: $stale_after_days
-- Grain: one row per disposition (every one, empty ones included); the rows sum to the MQLs
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- Active leads' age is the days since their last stage change; slipping ones have had no sales
-- activity for more than $stale_after_days days.

with accounts as (
    select * from (
        values
        (1, 'won'), (2, 'lost'), (3, 'discarded'), (4, 'recycled'),
        (5, 'active: opportunity'), (6, 'active: sql'), (7, 'active: sal'), (8, 'active: mql')
    ) as t (account_order, account)
),

counts as (
    select
        account,
        count(*) as n_leads,
        quantile_cont(days_since_stage_change, 0.5) as median_days_since_stage_change,
        count(*) filter (where days_without_activity > $stale_after_days) as n_slipping
    from mql_cohort
    group by account
),

final as (
    select
        a.account_order,
        a.account,
        coalesce(c.n_leads, 0) as n_leads,
        case when a.account like 'active:%' then c.median_days_since_stage_change end
            as median_days_since_stage_change,
        case when a.account like 'active:%' then coalesce(c.n_slipping, 0) else 0 end
            as n_slipping
    from accounts as a
    left join counts as c on c.account = a.account
)

select * from final
order by account_order
