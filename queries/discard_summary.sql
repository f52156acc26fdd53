-- Question: did sales accept enough of each period's MQLs and discard few enough, and where is each one now?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at
-- Grain: one row per period listed (period_index 1 the period, 2 the one before; or a trend's)
-- Uses: periods, mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- Acceptance = accepted / MQLs; discard rate = discarded (at any point) / MQLs, of the same
-- cohort. The disposition of every MQL (won, lost, discarded, recycled, active) sums to n_mql;
-- an active lead with no sales activity for longer than the agreement allows is slipping through
-- the cracks. (The column slots come with mql_cohort, which puts each lead in its group: these
-- totals add the groups up, so callers leave the slots empty, for no grouping.)

with counts as (
    select
        period_index,
        count(*) as n_mql,
        count(*) filter (where is_accepted) as n_accepted,
        count(*) filter (where is_discarded) as n_discarded,
        count(*) filter (where is_discarded_without_reason) as n_discarded_no_reason,
        count(*) filter (where disposition = 'won') as n_won,
        count(*) filter (where disposition = 'lost') as n_lost,
        count(*) filter (where disposition = 'discarded') as n_now_discarded,
        count(*) filter (where disposition = 'recycled') as n_recycled,
        count(*) filter (where is_active) as n_active,
        count(*) filter (where is_slipping) as n_slipping
    from mql_cohort
    group by period_index
),

final as (
    select
        p.period_index,
        coalesce(c.n_mql, 0) as n_mql,
        coalesce(c.n_accepted, 0) as n_accepted,
        coalesce(c.n_discarded, 0) as n_discarded,
        coalesce(c.n_discarded_no_reason, 0) as n_discarded_no_reason,
        coalesce(c.n_won, 0) as n_won,
        coalesce(c.n_lost, 0) as n_lost,
        coalesce(c.n_now_discarded, 0) as n_now_discarded,
        coalesce(c.n_recycled, 0) as n_recycled,
        coalesce(c.n_active, 0) as n_active,
        coalesce(c.n_slipping, 0) as n_slipping
    from periods as p
    left join counts as c on c.period_index = p.period_index
)

select * from final
order by period_index
