-- Question: which agreement values and data end do the staging views measure against?
-- Params: $follow_up_target_hours, $follow_up_clock, $score_threshold, $stale_after_days
-- Grain: one row
-- Created from the agreement file each time the database is opened, so a changed agreement
-- takes effect without re-importing.

with import_run as (
    select data_end_at from import_runs
),

final as (
    select
        cast($follow_up_target_hours as double) as follow_up_target_hours,
        cast($follow_up_clock as varchar) as follow_up_clock,
        cast($score_threshold as double) as score_threshold,
        cast($stale_after_days as double) as stale_after_days,
        import_run.data_end_at
    from import_run
)

select * from final
