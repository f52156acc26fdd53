-- Question: month by month, how good were the leads of each source or campaign?
-- Params: $trend_start_at, $end_at, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per cohort month × group_1 (group_1 NULL: all groups together)
-- Uses: grouped_stages
-- Columns: {{group_1}}, {{group_2}}
-- Cohorts as in funnel_trend. A month is immature for a measure while fewer days than the
-- agreement allows for reaching it from creation (the sum of the step limits up to it) have
-- passed since the month's end: its rate is still rising.

with months as (
    select cohort_month, group_1, mode_mql_at, mode_sal_at, mode_sql_at, mode_won_at, won_amount
    from grouped_stages
    where cohort_at >= $trend_start_at and cohort_at < $end_at
),

counts as (
    select
        cohort_month,
        group_1,
        count(*) as n_lead,
        count(mode_mql_at) as n_mql,
        count(mode_sal_at) as n_sal,
        count(mode_sql_at) as n_sql,
        count(mode_won_at) as n_won,
        coalesce(sum(won_amount) filter (where mode_won_at is not null), 0) as won_amount_usd
    from months
    group by grouping sets ((cohort_month, group_1), (cohort_month))
),

limits as (
    select
        sum(limit_days) filter (where step_order <= 1) as to_mql_days,
        sum(limit_days) filter (where step_order <= 2) as to_sal_days,
        sum(limit_days) filter (where step_order <= 3) as to_sql_days,
        sum(limit_days) as to_won_days
    from agreement_steps
),

aged as (
    select
        c.*,
        (
            epoch(settings.data_end_at)
            - epoch(cast(c.cohort_month + interval 1 month as timestamptz))
        ) / 86400 as age_days
    from counts as c
    cross join agreement_settings as settings
),

final as (
    select
        a.*,
        a.age_days >= limits.to_mql_days as is_mature_mql,
        a.age_days >= limits.to_sal_days as is_mature_sal,
        a.age_days >= limits.to_sql_days as is_mature_sql,
        a.age_days >= limits.to_won_days as is_mature_won
    from aged as a
    cross join limits
)

select * from final
order by cohort_month, group_1 nulls first
