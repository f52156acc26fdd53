-- Question: how many business hours does each local day hold, and how many came before it?
-- Params: none
-- Grain: one row per agreement version × local calendar day, from before the first timestamp to
--   after the data's end
-- Each version has its own clock over every day (agreement_versions): a lead is judged on the
-- clock of the version in force at its hand-over, whichever days its follow-up runs into.
-- The business clock of a timestamp t is hours_before(day of t) + the open hours of that day
-- already gone by t (clamped to the day's opening times). Open and close are local wall-clock
-- times turned into instants per day, so a daylight-saving change gives the right length.

with bounds as (
    select
        least(
            (select min(created_at) from leads),
            (select min(activity_at) from activities)
        ) as first_at,
        (select data_end_at from import_runs) as last_at
),

days as (
    select cast(unnest(generate_series(
        cast(bounds.first_at as date) - 1,
        cast(bounds.last_at as date) + 400,
        interval 1 day
    )) as date) as day
    from bounds
    where bounds.first_at is not null
),

opening as (
    select
        v.version,
        d.day,
        cast(d.day + to_minutes(v.opens_at_minute) as timestamptz) as open_at,
        cast(d.day + to_minutes(v.closes_at_minute) as timestamptz) as close_at,
        list_contains(v.working_isodows, isodow(d.day))
        and not list_contains(v.holidays, d.day) as is_working_day
    from days as d
    cross join agreement_versions as v
),

hours as (
    select
        *,
        case
            when is_working_day then (epoch(close_at) - epoch(open_at)) / 3600
            else 0
        end as open_hours
    from opening
),

final as (
    select
        *,
        coalesce(sum(open_hours) over (
            partition by version order by day rows between unbounded preceding and 1 preceding
        ), 0) as hours_before
    from hours
)

select * from final
