-- Question: which revenue can attribution credit: won deals, open pipeline, leads won without a deal?
-- Params: none
-- Grain: one row per revenue event
-- A won deal converts when it closed (or, without a close date, when it was created); an open
-- deal is pipeline from its creation. A lead won with no deal in the deals file is one won event
-- at its won_at for its amount. opportunity_at is when the deal (or the lead's opportunity) was
-- created: the opportunity-creation milestone of the W-shaped and full-path models.

with deal_events as (
    select
        deal_id as event_id,
        lead_key,
        case status when 'won' then 'won' else 'pipeline' end as kind,
        case status when 'won' then coalesce(closed_at, created_at) else created_at end
            as converted_at,
        created_at as opportunity_at,
        coalesce(amount, 0) as amount_usd
    from deals
    where status in ('won', 'open')
),

lead_events as (
    select
        'lead ' || lead_id as event_id,
        lead_key,
        'won' as kind,
        won_at as converted_at,
        opportunity_at,
        coalesce(won_amount, 0) as amount_usd
    from stg_leads
    where won_at is not null and n_deals = 0
),

final as (
    select e.*, l.created_at as lead_created_at, l.source as lead_source
    from (select * from deal_events union all select * from lead_events) as e
    inner join stg_leads as l on l.lead_key = e.lead_key
)

select * from final
