-- Question: how many leads reached each stage in the period and the one before, and what was won?
-- Params: $start_at, $end_at, $previous_start_at, $previous_end_at, $view
-- Grain: one row per period ('current', 'previous')
-- Uses: scoped_leads
-- $view 'created' counts the leads created in the period and the stages they have reached by
-- the data's end (a cohort); 'handover' does the same for leads handed over (MQL) in the period;
-- 'flow' counts stage entries that happened in the period, whoever they belong to. Revenue
-- follows the same rule: won by the cohort, or won in the period.

with periods as (
    select 'current' as period, $start_at as start_at, $end_at as end_at
    union all
    select 'previous' as period, $previous_start_at as start_at, $previous_end_at as end_at
),

dated as (
    -- When each stage counts: its entry in flow view, the cohort date in cohort views.
    select
        l.*,
        case $view when 'handover' then l.entered_mql_at else l.created_at end as cohort_at
    from scoped_leads as l
),

stage_times as (
    select
        lead_id,
        entered_mql_at,
        won_amount,
        case when $view = 'flow' then created_at else cohort_at end as lead_at,
        case when $view = 'flow' then entered_mql_at
            when entered_mql_at is not null then cohort_at end as mql_at,
        case when $view = 'flow' then entered_sal_at
            when entered_sal_at is not null then cohort_at end as sal_at,
        case when $view = 'flow' then entered_sql_at
            when entered_sql_at is not null then cohort_at end as sql_at,
        case when $view = 'flow' then entered_opportunity_at
            when entered_opportunity_at is not null then cohort_at end as opportunity_at,
        case when $view = 'flow' then entered_won_at
            when entered_won_at is not null then cohort_at end as won_at
    from dated
),

final as (
    select
        p.period,
        p.start_at,
        p.end_at,
        count(*) filter (where s.lead_at >= p.start_at and s.lead_at < p.end_at) as n_leads,
        count(*) filter (where s.mql_at >= p.start_at and s.mql_at < p.end_at) as n_mql,
        count(*) filter (where s.sal_at >= p.start_at and s.sal_at < p.end_at) as n_sal,
        count(*) filter (where s.sql_at >= p.start_at and s.sql_at < p.end_at) as n_sql,
        count(*) filter (
            where s.opportunity_at >= p.start_at and s.opportunity_at < p.end_at
        ) as n_opportunity,
        count(*) filter (where s.won_at >= p.start_at and s.won_at < p.end_at) as n_won,
        coalesce(
            sum(s.won_amount) filter (where s.won_at >= p.start_at and s.won_at < p.end_at), 0
        ) as won_amount_usd,
        -- Marketing's volume goal is about hand-overs, whatever the view.
        count(*) filter (
            where s.entered_mql_at >= p.start_at and s.entered_mql_at < p.end_at
        ) as n_handed_over
    from periods as p
    left join stage_times as s on true
    group by p.period, p.start_at, p.end_at
)

select * from final
order by period
