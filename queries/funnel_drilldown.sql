-- Question: which leads reached a stage in the period, and which of them went no further?
-- Params: $start_at, $end_at, $stage, $group_1, $group_2, $only_dropped, $limit, $sources,
--         $campaigns, $owners, $teams, $attribute_pairs, $view, $strict, $scan_start_at,
--         $scan_end_at
-- Grain: one row per lead that reached $stage, at most $limit (n_total, n_dropped, n_too_early:
-- all of them)
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}, {{handoff_scores}}
-- A lead that has not reached the next stage by the data's end "dropped" only once it has had
-- the days the agreement allows for that step since it reached $stage; before that it is "too
-- early to say". Its disposition says whether it is still active, or was lost, discarded or
-- recycled. A lead at won has no next stage: its outcome is "won". $group_1 / $group_2 NULL mean
-- every group; $only_dropped keeps the dropped ones. Handoff's score is as of the lead's
-- hand-over, or the data's end for a lead never handed over (stg_lead_scores).

with staged as (
    select
        g.*,
        case $stage
            when 'lead' then g.lead_counts_at
            when 'mql' then g.mql_counts_at
            when 'sal' then g.sal_counts_at
            when 'sql' then g.sql_counts_at
            when 'opportunity' then g.opportunity_counts_at
            when 'won' then g.won_counts_at
        end as stage_counts_at,
        case $stage
            when 'lead' then g.created_at
            when 'mql' then g.mode_mql_at
            when 'sal' then g.mode_sal_at
            when 'sql' then g.mode_sql_at
            when 'opportunity' then g.mode_opportunity_at
            when 'won' then g.mode_won_at
        end as reached_at,
        case $stage
            when 'lead' then g.mode_mql_at is not null
            when 'mql' then g.mode_sal_at is not null
            when 'sal' then g.mode_sql_at is not null
            when 'sql' then g.mode_opportunity_at is not null
            when 'opportunity' then g.mode_won_at is not null
            else true
        end as has_moved_on
    from grouped_stages as g
    where
        ($group_1 is null or g.group_1 = $group_1)
        and ($group_2 is null or g.group_2 = $group_2)
),

judged as (
    select
        s.*,
        case
            when $stage = 'won' then 'won'
            when s.has_moved_on then 'moved on'
            when (epoch(s.data_end_at) - epoch(s.reached_at)) / 86400 >= a.limit_days
                then 'dropped'
            else 'too early to say'
        end as outcome
    from staged as s
    left join agreement_steps as a on a.from_stage = $stage
),

-- Not materialized: the counts and the first $limit rows each read it once, so the page never
-- holds every reaching lead (millions at 10M leads over a year) to show 10,000 of them.
reached as not materialized (
    select * from judged
    where
        stage_counts_at >= $start_at and stage_counts_at < $end_at
        and (not $only_dropped or outcome = 'dropped')
),

counts as (
    select
        count(*) as n_total,
        count(*) filter (where outcome = 'dropped') as n_dropped,
        count(*) filter (where outcome = 'too early to say') as n_too_early
    from reached
),

-- Dropped leads first, then those too early to say, then the rest, newest first; lead_key
-- numbers leads by (created_at, lead_id), so it breaks ties as lead_id would, on a number.
listed as (
    select
        r.*,
        case r.outcome when 'dropped' then 1 when 'too early to say' then 2 else 3 end
            as outcome_order,
        c.n_total,
        c.n_dropped,
        c.n_too_early
    from reached as r
    cross join counts as c
    order by outcome_order, r.created_at desc, r.lead_key
    limit $limit
),

-- The CRM's score, and beside it Handoff's and its grade when the agreement has [scoring] rules
-- (read for the listed leads only).
final as (
    select
        l.lead_key,
        l.outcome_order,
        l.lead_id,
        l.score as crm_score{{handoff_scores}},
        l.created_at,
        l.source,
        l.campaign,
        l.owner,
        l.team,
        l.outcome,
        l.furthest_stage,
        coalesce(l.disposition, 'not handed over') as disposition,
        l.handover_at,
        case
            when l.handover_at is null then 'not handed over'
            else coalesce(l.sla_status, 'no follow-up data')
        end as sla_status,
        l.last_activity_at,
        l.last_stage_change_at,
        l.n_total,
        l.n_dropped,
        l.n_too_early
    from listed as l
    left join stg_lead_scores as sc on sc.lead_key = l.lead_key
)

select * exclude (lead_key, outcome_order) from final
order by outcome_order, created_at desc, lead_key
