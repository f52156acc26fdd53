-- Question: how many leads reached each stage in the period and the one before, and what was won?
-- Params: none
-- Grain: one row per period ('current', 'previous')
-- Uses: periods, counted_stages, handed_over
-- Counting follows counted_stages: a cohort (created or handed over in the period) and the
-- stages it has reached by the data's end, or the flow of stage entries in the period. Revenue
-- follows the same rule: won by the cohort, or won in the period.

with stages as (
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
        ), 0) as won_amount_usd
    from periods as p
    left join counted_stages as s on true
    group by p.period, p.start_at, p.end_at
),

-- Marketing's volume goal is about hand-overs, whatever the view: every lead handed over in
-- the period, however long ago it was created.
handovers as (
    select p.period, count(h.lead_key) as n_handed_over
    from periods as p
    left join handed_over as h on h.handover_at >= p.start_at and h.handover_at < p.end_at
    group by p.period
),

final as (
    select s.*, h.n_handed_over
    from stages as s
    inner join handovers as h on h.period = s.period
)

select * from final
order by period
