-- Question: which versions of the agreement judge the leads, from when, and with which values?
-- Params: $version_numbers, $version_starts, $follow_up_target_hours, $follow_up_clock,
--   $score_threshold, $stale_after_days, $opens_at_minute, $closes_at_minute, $working_isodows,
--   $holidays
-- Grain: one row per version, oldest first
-- The lists are parallel, one entry per version. Version 1 is in force from the beginning (it
-- judges the data from before it was agreed too); each later one from local midnight of its
-- effective date (the connection's time zone is the agreement's) until the next one's. A lead is
-- judged by the version in force at its moment: its hand-over for follow-up and scoring, its
-- creation for the MQL-by-score rule.

with listed as (
    select
        unnest(cast($version_numbers as integer[])) as version,
        unnest(cast($version_starts as date[])) as effective_on,
        unnest(cast($follow_up_target_hours as double[])) as follow_up_target_hours,
        unnest(cast($follow_up_clock as varchar[])) as follow_up_clock,
        unnest(cast($score_threshold as double[])) as score_threshold,
        unnest(cast($stale_after_days as double[])) as stale_after_days,
        unnest(cast($opens_at_minute as bigint[])) as opens_at_minute,
        unnest(cast($closes_at_minute as bigint[])) as closes_at_minute,
        unnest(cast($working_isodows as integer[][])) as working_isodows,
        unnest(cast($holidays as date[][])) as holidays
),

final as (
    select
        version,
        effective_on,
        -- An ASOF join finds the version of a moment: the latest start at or before it.
        coalesce(cast(effective_on as timestamptz), cast('-infinity' as timestamptz))
            as starts_at,
        lead(cast(effective_on as timestamptz)) over (order by version) as ends_at,
        follow_up_target_hours,
        follow_up_clock,
        score_threshold,
        stale_after_days,
        opens_at_minute,
        closes_at_minute,
        working_isodows,
        holidays
    from listed
)

select * from final
order by version
