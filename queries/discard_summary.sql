-- Question: did sales accept enough MQLs and discard few enough, and where is each one now?
-- Params: $stale_after_days
-- Grain: one row
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- Acceptance = accepted / MQLs; discard rate = discarded / MQLs (same cohort). The account of
-- every MQL (won, lost, discarded, recycled, active at its furthest stage) sums to n_mql; an
-- active lead with no sales activity for more than $stale_after_days days is slipping through
-- the cracks.

with final as (
    select
        count(*) as n_mql,
        count(*) filter (where is_accepted) as n_accepted,
        count(*) filter (where was_discarded) as n_discarded,
        count(*) filter (where discard_reason = '(no reason given)') as n_discarded_no_reason,
        count(*) filter (where account = 'won') as n_won,
        count(*) filter (where account = 'lost') as n_lost,
        count(*) filter (where account = 'discarded') as n_now_discarded,
        count(*) filter (where account = 'recycled') as n_recycled,
        count(*) filter (where account like 'active:%') as n_active,
        count(*) filter (
            where account like 'active:%' and days_without_activity > $stale_after_days
        ) as n_slipping
    from mql_cohort
)

select * from final
