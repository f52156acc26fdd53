-- Question: which agreement values and data end do the staging views measure against?
-- Params: none
-- Grain: one row
-- The latest version's values (agreement_versions; each lead is judged by the version in force
-- at its moment, in stg_leads) and the data's end. Created from the agreement file each time
-- the database is opened, so a changed agreement takes effect without re-importing.

with latest as (
    select * from agreement_versions
    order by version desc
    limit 1
),

import_run as (
    select data_end_at from import_runs
),

final as (
    select
        latest.version,
        latest.follow_up_target_hours,
        latest.follow_up_clock,
        latest.score_threshold,
        latest.stale_after_days,
        import_run.data_end_at
    from import_run
    cross join latest
)

select * from final
