-- Question: how many leads reached each stage in the period and the one before, and what was won?
-- Params: $start_at, $end_at, $previous_start_at, $previous_end_at
-- Grain: one row per period ('current', 'previous')
-- Uses: counted_stages
-- Counting follows counted_stages: a cohort (created or handed over in the period) and the
-- stages it has reached by the data's end, or the flow of stage entries in the period. Revenue
-- follows the same rule: won by the cohort, or won in the period.

with periods as (
    select 'current' as period, $start_at as start_at, $end_at as end_at
    union all
    select 'previous' as period, $previous_start_at as start_at, $previous_end_at as end_at
),

final as (
    select
        p.period,
        p.start_at,
        p.end_at,
        count(*) filter (
            where s.lead_counts_at >= p.start_at and s.lead_counts_at < p.end_at
        ) as n_leads,
        count(*) filter (
            where s.mql_counts_at >= p.start_at and s.mql_counts_at < p.end_at
        ) as n_mql,
        count(*) filter (
            where s.sal_counts_at >= p.start_at and s.sal_counts_at < p.end_at
        ) as n_sal,
        count(*) filter (
            where s.sql_counts_at >= p.start_at and s.sql_counts_at < p.end_at
        ) as n_sql,
        count(*) filter (
            where s.opportunity_counts_at >= p.start_at and s.opportunity_counts_at < p.end_at
        ) as n_opportunity,
        count(*) filter (
            where s.won_counts_at >= p.start_at and s.won_counts_at < p.end_at
        ) as n_won,
        coalesce(sum(s.won_amount) filter (
            where s.won_counts_at >= p.start_at and s.won_counts_at < p.end_at
        ), 0) as won_amount_usd,
        -- Marketing's volume goal is about hand-overs, whatever the view.
        count(*) filter (
            where s.entered_mql_at >= p.start_at and s.entered_mql_at < p.end_at
        ) as n_handed_over
    from periods as p
    left join counted_stages as s on true
    group by p.period, p.start_at, p.end_at
)

select * from final
order by period
