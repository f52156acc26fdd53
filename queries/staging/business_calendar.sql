-- Question: how many business hours does each local day hold, and how many came before it?
-- Params: $opens_at_minute, $closes_at_minute, $working_isodows, $holidays
-- Grain: one row per local calendar day, from before the first timestamp to after the data's end
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
        day,
        cast(day + to_minutes(cast($opens_at_minute as bigint)) as timestamptz) as open_at,
        cast(day + to_minutes(cast($closes_at_minute as bigint)) as timestamptz) as close_at,
        list_contains($working_isodows, isodow(day))
        and not list_contains($holidays, day) as is_working_day
    from days
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
            order by day rows between unbounded preceding and 1 preceding
        ), 0) as hours_before
    from hours
)

select * from final
