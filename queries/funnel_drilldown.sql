-- Question: which leads reached a stage in the period, and which of them went no further?
-- Params: $start_at, $end_at, $stage, $group_1, $group_2, $only_dropped, $limit
-- Grain: one row per lead that reached $stage, at most $limit (n_total, n_dropped: all of them)
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- "Dropped" means the lead has not reached the next stage by the data's end; its disposition
-- says whether it is still active, or was lost, discarded or recycled. $group_1 / $group_2
-- NULL mean every group.

with staged as (
    select
        *,
        case $stage
            when 'lead' then lead_counts_at
            when 'mql' then mql_counts_at
            when 'sal' then sal_counts_at
            when 'sql' then sql_counts_at
            when 'opportunity' then opportunity_counts_at
            when 'won' then won_counts_at
        end as stage_counts_at,
        case $stage
            when 'lead' then mode_mql_at is not null
            when 'mql' then mode_sal_at is not null
            when 'sal' then mode_sql_at is not null
            when 'sql' then mode_opportunity_at is not null
            when 'opportunity' then mode_won_at is not null
            else true
        end as has_moved_on
    from grouped_stages
    where
        ($group_1 is null or group_1 = $group_1)
        and ($group_2 is null or group_2 = $group_2)
),

-- Not materialized: the counts and the first $limit rows each read it once, so the page never
-- holds every reaching lead (millions at 10M leads over a year) to show 10,000 of them.
reached as not materialized (
    select * from staged
    where
        stage_counts_at >= $start_at and stage_counts_at < $end_at
        and (not $only_dropped or not has_moved_on)
),

counts as (
    select count(*) as n_total, count(*) filter (where not has_moved_on) as n_dropped
    from reached
)

-- Dropped leads first, then the newest; lead_key numbers leads by (created_at, lead_id), so
-- it breaks ties as lead_id would, on a number.
select
    lead_id,
    created_at,
    source,
    campaign,
    owner,
    team,
    score,
    case when has_moved_on then 'moved on' else 'dropped' end as outcome,
    furthest_stage,
    coalesce(disposition, 'not handed over') as disposition,
    handover_at,
    coalesce(sla_status, 'not handed over') as sla_status,
    last_activity_at,
    last_stage_change_at,
    c.n_total,
    c.n_dropped
from reached
cross join counts as c
order by has_moved_on, created_at desc, lead_key
limit $limit
