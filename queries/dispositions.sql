-- Question: where is every MQL of the period now: won, lost, discarded, recycled or active?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per disposition (every one, empty ones included); the rows sum to the MQLs
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- Active leads are split by their furthest stage; their age is the days since their last stage
-- change; slipping ones have had no sales activity for longer than the agreement allows.

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
        count(*) filter (where is_slipping) as n_slipping
    from mql_cohort
    group by account
),

final as (
    select
        a.account_order,
        a.account,
        a.account_order >= 5 as is_active,
        coalesce(c.n_leads, 0) as n_leads,
        case when a.account_order >= 5 then c.median_days_since_stage_change end
            as median_days_since_stage_change,
        coalesce(c.n_slipping, 0) as n_slipping
    from accounts as a
    left join counts as c on c.account = a.account
)

select * from final
order by account_order
