-- Question: per source or campaign, how many leads, how good, and at what cost?
-- Params: $start_at, $end_at, $sources, $campaigns, $owners, $teams, $attribute_pairs, $periods,
--         $view, $strict, $scan_start_at, $scan_end_at
-- Grain: one row per source (or campaign) with leads in the period or spend in it
-- Uses: stages_in_period
-- Columns: {{group_1}}, {{group_2}}
-- group_1 is source or campaign: the one slot names the leads' column and the spend's (spend
-- has a source and a campaign column too). Spend is monthly: a month partly in the period
-- counts by its share of days. Spend rows without a source take the source of their
-- campaign's leads. Cost is NULL (no spend data), never 0, for a group without spend, and for
-- every group when owner, team or attribute filters are on: spend is not recorded per owner,
-- team or attribute.

with leads as (
    select
        group_1 as group_name,
        cast(sum(n_lead) as bigint) as n_lead,
        cast(sum(n_mql) as bigint) as n_mql,
        cast(sum(n_sal) as bigint) as n_sal,
        cast(sum(n_sql) as bigint) as n_sql,
        cast(sum(n_won) as bigint) as n_won,
        sum(won_amount_usd) as won_amount_usd,
        quantile_cont(days_to_win, 0.5) as median_days_to_win
    from stages_in_period
    group by group_1
),

campaign_sources as (
    -- The source most of a campaign's leads came from (on a tie, the first by name).
    select campaign, source
    from (
        select
            campaign,
            source,
            row_number() over (partition by campaign order by count(*) desc, source) as nth
        from stg_leads
        group by campaign, source
    ) as ranked
    where nth = 1
),

period as (
    select cast($start_at as date) as start_date, cast($end_at as date) as end_date
),

spend_in_period as (
    select
        coalesce(s.source, cs.source) as source,
        s.campaign,
        s.cost * (
            date_diff('day', greatest(s.month, p.start_date),
                least(cast(s.month + interval 1 month as date), p.end_date))
        ) / date_diff('day', s.month, cast(s.month + interval 1 month as date)) as cost
    from spend as s
    cross join period as p
    left join campaign_sources as cs on cs.campaign = s.campaign
    where
        s.month < p.end_date
        and cast(s.month + interval 1 month as date) > p.start_date
        and ($sources is null or list_contains($sources, coalesce(s.source, cs.source)))
        and ($campaigns is null or list_contains($campaigns, s.campaign))
),

costs as (
    -- Summed as decimals: a sum of doubles depends on the order the threads add them in, and
    -- cost per SQL could then differ in its sixth decimal from one run to the next.
    select
        {{group_1}} as group_name,
        cast(sum(cast(s.cost as decimal(38, 9))) as double) as cost_usd
    from spend_in_period as s
    where {{group_1}} is not null
    group by group_name
),

final as (
    select
        coalesce(l.group_name, c.group_name) as group_name,
        coalesce(l.n_lead, 0) as n_lead,
        coalesce(l.n_mql, 0) as n_mql,
        coalesce(l.n_sal, 0) as n_sal,
        coalesce(l.n_sql, 0) as n_sql,
        coalesce(l.n_won, 0) as n_won,
        coalesce(l.won_amount_usd, 0) as won_amount_usd,
        l.median_days_to_win,
        case
            when $owners is null and $teams is null and $attribute_pairs is null
                then c.cost_usd
        end as cost_usd
    from leads as l
    full outer join costs as c on c.group_name = l.group_name
)

select * from final
order by n_lead desc, group_name
