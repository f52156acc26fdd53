-- Question: which revenue can attribution credit: won deals, open pipeline, leads won without a deal?
-- Params: none
-- Grain: one row per revenue event
-- A won deal converts when it closed (or, without a close date, when it was created); an open
-- deal is pipeline from its creation. A lead won with no won deal in the deals file is one won
-- event at its won_at for its amount (as stg_lead_stages counts its revenue). opportunity_at is when the deal (or the lead's opportunity) was
-- created: the opportunity-creation milestone of the W-shaped and full-path models.
-- recorded_source is the lead source the CRM wrote on the deal; '(not recorded)' for a deal
-- without one when other deals have one; the lead's source when no deal records a source.

with deal_events as (
    select
        deal_id as event_id,
        lead_key,
        case status when 'won' then 'won' else 'pipeline' end as revenue_type,
        case status when 'won' then coalesce(closed_at, created_at) else created_at end
            as converted_at,
        created_at as opportunity_at,
        coalesce(amount, 0) as amount_usd,
        source as deal_source,
        true as is_deal
    from deals
    where status in ('won', 'open')
),

lead_events as (
    select
        'lead ' || lead_id as event_id,
        lead_key,
        'won' as revenue_type,
        won_at as converted_at,
        opportunity_at,
        coalesce(won_amount, 0) as amount_usd,
        cast(null as varchar) as deal_source,
        false as is_deal
    from stg_leads
    where
        won_at is not null
        and lead_key not in (select lead_key from stg_deals where first_won_at is not null)
),

final as (
    select
        e.* exclude (deal_source, is_deal),
        l.created_at as lead_created_at,
        l.source as lead_source,
        case
            when e.deal_source is not null then e.deal_source
            -- main.deals: every deal, also when an update rebuilds some leads' rows only, over
            -- views of those leads (handoff.importer.update).
            when e.is_deal and exists (select 1 from main.deals where source is not null)
                then '(not recorded)'
            else l.source
        end as recorded_source
    from (select * from deal_events union all select * from lead_events) as e
    inner join stg_leads as l on l.lead_key = e.lead_key
)

select * from final
