-- Question: how does one step's conversion move from cohort month to cohort month, per group?
-- Params: $trend_start_at, $end_at, $step, $within_days, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs, $view, $strict, $scan_start_at, $scan_end_at
-- Grain: one row per cohort month × group_1 for $step (a step, or lead_to_won for the whole
-- way); group_1 NULL is all groups together
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- A cohort is the leads created (or, in the hand-over view, handed over) in a month. n_from are
-- the cohort's leads that entered the step ($step: its first stage reached, in the order mode
-- chosen), n_to those that reached its second stage; with $within_days only within that many
-- days of entering the step, so young and old cohorts compare fairly. A cohort is immature for
-- the step while fewer days than the step's limit (or $within_days) have passed between the
-- month's end and the data's end; its rate is still rising.

with months as (
    select
        cohort_month,
        group_1,
        case $step
            when 'lead_to_mql' then created_at
            when 'mql_to_sal' then mode_mql_at
            when 'sal_to_sql' then mode_sal_at
            when 'sql_to_opportunity' then mode_sql_at
            when 'opportunity_to_won' then mode_opportunity_at
            when 'lead_to_won' then created_at
        end as from_at,
        case $step
            when 'lead_to_mql' then mode_mql_at
            when 'mql_to_sal' then mode_sal_at
            when 'sal_to_sql' then mode_sql_at
            when 'sql_to_opportunity' then mode_opportunity_at
            when 'opportunity_to_won' then mode_won_at
            when 'lead_to_won' then mode_won_at
        end as to_at
    from grouped_stages
    where cohort_at >= $trend_start_at and cohort_at < $end_at
),

reached as (
    select
        cohort_month,
        group_1,
        count(from_at) as n_from,
        count(*) filter (
            where to_at is not null and from_at is not null and (
                $within_days is null or epoch(to_at) - epoch(from_at) <= $within_days * 86400
            )
        ) as n_to
    from months
    group by grouping sets ((cohort_month, group_1), (cohort_month))
),

final as (
    select
        r.cohort_month,
        r.group_1,
        cast($step as varchar) as step,
        r.n_from,
        r.n_to,
        coalesce(cast($within_days as double), a.limit_days) as limit_days,
        (
            epoch(settings.data_end_at)
            - epoch(cast(r.cohort_month + interval 1 month as timestamptz))
        ) / 86400 >= coalesce(cast($within_days as double), a.limit_days) as is_mature
    from reached as r
    cross join (
        -- The step's agreed days; lead → won, the whole way, is allowed the sum of them all.
        select coalesce(max(limit_days) filter (where step = $step), sum(limit_days))
            as limit_days
        from agreement_steps
    ) as a
    cross join agreement_settings as settings
)

select * from final
order by cohort_month, group_1 nulls first
