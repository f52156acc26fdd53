-- Question: how does each step's conversion move from cohort month to cohort month, per group?
-- Params: $trend_start_at, $end_at, $within_days
-- Grain: one row per cohort month × group_1 × step; group_1 NULL is all groups together
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- A cohort is the leads created (or, in the hand-over view, handed over) in a month. With
-- $within_days a conversion counts only if it came within that many days of entering the step,
-- so young and old cohorts compare fairly. A cohort is immature for a step while fewer days
-- than the step's limit (or $within_days) have passed between the month's end and the data's
-- end; its rate is still rising.

with months as (
    select
        cohort_month,
        group_1,
        created_at,
        mode_mql_at,
        mode_sal_at,
        mode_sql_at,
        mode_opportunity_at,
        mode_won_at
    from grouped_stages
    where cohort_at >= $trend_start_at and cohort_at < $end_at
),

reached as (
    select
        cohort_month,
        group_1,
        count(*) as n_lead,
        count(mode_mql_at) as n_mql,
        count(mode_sal_at) as n_sal,
        count(mode_sql_at) as n_sql,
        count(mode_opportunity_at) as n_opportunity,
        count(*) filter (
            where mode_mql_at is not null and ($within_days is null
            or epoch(mode_mql_at) - epoch(created_at) <= $within_days * 86400)
        ) as n_mql_in_time,
        count(*) filter (
            where mode_sal_at is not null and ($within_days is null
            or epoch(mode_sal_at) - epoch(mode_mql_at) <= $within_days * 86400)
        ) as n_sal_in_time,
        count(*) filter (
            where mode_sql_at is not null and ($within_days is null
            or epoch(mode_sql_at) - epoch(mode_sal_at) <= $within_days * 86400)
        ) as n_sql_in_time,
        count(*) filter (
            where mode_opportunity_at is not null and ($within_days is null
            or epoch(mode_opportunity_at) - epoch(mode_sql_at) <= $within_days * 86400)
        ) as n_opportunity_in_time,
        count(*) filter (
            where mode_won_at is not null and ($within_days is null
            or epoch(mode_won_at) - epoch(mode_opportunity_at) <= $within_days * 86400)
        ) as n_won_in_time
    from months
    group by grouping sets ((cohort_month, group_1), (cohort_month))
),

steps as (
    select cohort_month, group_1, 'lead_to_mql' as step, n_lead as n_from,
        n_mql_in_time as n_to
    from reached
    union all
    select cohort_month, group_1, 'mql_to_sal' as step, n_mql as n_from, n_sal_in_time as n_to
    from reached
    union all
    select cohort_month, group_1, 'sal_to_sql' as step, n_sal as n_from, n_sql_in_time as n_to
    from reached
    union all
    select cohort_month, group_1, 'sql_to_opportunity' as step, n_sql as n_from,
        n_opportunity_in_time as n_to
    from reached
    union all
    select cohort_month, group_1, 'opportunity_to_won' as step, n_opportunity as n_from,
        n_won_in_time as n_to
    from reached
),

final as (
    select
        s.cohort_month,
        s.group_1,
        a.step_order,
        s.step,
        s.n_from,
        s.n_to,
        coalesce(cast($within_days as double), a.limit_days) as limit_days,
        (
            epoch(settings.data_end_at)
            - epoch(cast(s.cohort_month + interval 1 month as timestamptz))
        ) / 86400 >= coalesce(cast($within_days as double), a.limit_days) as is_mature
    from steps as s
    inner join agreement_steps as a on a.step = s.step
    cross join agreement_settings as settings
)

select * from final
order by cohort_month, group_1 nulls first, step_order
