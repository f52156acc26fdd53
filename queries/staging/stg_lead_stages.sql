-- Question: when did each lead enter each stage, counting skipped stages as passed?
-- Params: none
-- Grain: one row per lead
-- Columns: {{lead_attributes}}
-- Creates: view
-- Stage dates come from the lead, except where deals outrank them (stg_deals). A lead scored at
-- or past the threshold of the agreement version in force at its creation, with no mql_at,
-- counts as an MQL from its creation.
-- entered_<stage>_at is the earliest date of that stage or any later one: a lead has reached a
-- stage when it has that stage's date or a later one. strict_<stage>_at keeps a stage's own date
-- only when every stage date up to it is present and in order (equal dates are in order).

with versions as (
    select version, starts_at, score_threshold from agreement_versions
),

stamped as (
    select
        l.lead_key,
        l.lead_id,
        l.created_at,
        l.source,
        coalesce(l.campaign, '(no campaign)') as campaign,
        coalesce(l.owner, '(unassigned)') as owner,
        coalesce(l.team, '(no team)') as team,
        l.score,
        coalesce(
            l.mql_at,
            case when l.score >= v.score_threshold then l.created_at end
        ) as mql_at,
        l.mql_at is null and l.score >= v.score_threshold as is_mql_by_score,
        l.assigned_at,
        l.first_contacted_at,
        l.sal_at,
        l.sql_at,
        coalesce(d.first_deal_at, l.opportunity_at) as opportunity_at,
        coalesce(d.first_won_at, l.won_at) as won_at,
        coalesce(d.all_lost_at, l.lost_at) as lost_at,
        l.discarded_at,
        l.discard_reason,
        l.recycled_at,
        -- A won deal's amount outranks the lead's amount column, even when it is blank.
        case when d.first_won_at is not null then d.won_amount else l.amount end as won_amount,
        d.open_amount,
        d.last_closed_at as last_deal_closed_at,
        coalesce(d.n_deals, 0) as n_deals
        {{lead_attributes}}
    from leads as l
    asof left join versions as v on l.created_at >= v.starts_at
    left join stg_deals as d on d.lead_key = l.lead_key
),

entered as (
    select
        *,
        least(mql_at, sal_at, sql_at, opportunity_at, won_at) as entered_mql_at,
        least(sal_at, sql_at, opportunity_at, won_at) as entered_sal_at,
        least(sql_at, opportunity_at, won_at) as entered_sql_at,
        least(opportunity_at, won_at) as entered_opportunity_at,
        won_at as entered_won_at
    from stamped
),

final as (
    select
        *,
        case when mql_at >= created_at then mql_at end as strict_mql_at,
        case when mql_at >= created_at and sal_at >= mql_at then sal_at end as strict_sal_at,
        case
            when mql_at >= created_at and sal_at >= mql_at and sql_at >= sal_at then sql_at
        end as strict_sql_at,
        case
            when
                mql_at >= created_at and sal_at >= mql_at and sql_at >= sal_at
                and opportunity_at >= sql_at
                then opportunity_at
        end as strict_opportunity_at,
        case
            when
                mql_at >= created_at and sal_at >= mql_at and sql_at >= sal_at
                and opportunity_at >= sql_at and won_at >= opportunity_at
                then won_at
        end as strict_won_at,
        -- Any present stage date earlier than a present earlier stage's date.
        coalesce(
            mql_at < created_at
            or sal_at < greatest(created_at, mql_at)
            or sql_at < greatest(created_at, mql_at, sal_at)
            or opportunity_at < greatest(created_at, mql_at, sal_at, sql_at)
            or won_at < greatest(created_at, mql_at, sal_at, sql_at, opportunity_at),
            false
        ) as is_out_of_order
    from entered
)

select * from final
