-- Question: how many deals were won in the period, and for how much, for the leads in scope?
-- Params: $sources, $campaigns, $owners, $teams, $attribute_pairs, $revenue, $start_at, $end_at
-- Grain: one row
-- Uses: period_revenue_events
-- Deals won in the period, at their close (a lead won with no won deal is one event at its
-- won_at), whenever their leads were created: what attribution credits ($revenue 'won'), and,
-- in flow view, the revenue the funnel counts. $revenue 'pipeline' counts the open deals
-- created in the period instead.

with final as (
    select
        count(*) as n_deals,
        coalesce(sum(amount_usd), 0) as revenue_usd
    from period_revenue_events
)

select * from final
