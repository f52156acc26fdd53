-- Question: what does the CRM's own source field credit: revenue by the source recorded on the deal?
-- Params: $sources, $campaigns, $owners, $teams, $attribute_pairs, $revenue, $start_at, $end_at
-- Grain: one row per recorded source
-- Uses: period_revenue_events
-- The CRM's single-source view, next to the models: a deal's revenue goes wholly to the lead
-- source written on the deal (Salesforce Opportunity.LeadSource, a Zoho potential's Lead
-- Source); a deal without one is '(not recorded)', as the CRM's report shows it. When no deal
-- records a source, the lead's source stands in. $revenue 'won' counts deals won in the period,
-- 'pipeline' open deals created in it, as the models do.

with final as (
    select
        recorded_source as source,
        count(*) as n_deals,
        sum(amount_usd) as revenue_usd,
        sum(amount_usd) / nullif(sum(sum(amount_usd)) over (), 0) as revenue_share,
        count(*) filter (where recorded_source <> lead_source) as n_unlike_lead_source
    from period_revenue_events
    group by recorded_source
)

select * from final
order by revenue_usd desc, source
