-- Question: which periods does a query count: the period and the one before, or the months or weeks of a trend?
-- Params: $periods
-- Grain: one row per period listed in $periods (each {period_index, start_at, end_at})
-- A comparison lists the period (index 1) and the one before it (index 2); a trend lists its
-- months or weeks. The same query counts both, so a trend's point for a month is what the
-- headline says when that month is the period, and the previous period's value is what the
-- headline said for it.

with final as (
    select p.period_index, p.start_at, p.end_at
    from (select unnest($periods) as p) as listed
)

select * from final
