-- Question: which revenue events of the period can be credited, for the leads in scope?
-- Params: $revenue, $start_at, $end_at, $sources, $campaigns, $owners, $teams, $attribute_pairs
-- Grain: one row per revenue event (stg_revenue_events columns)
-- Uses: scoped_leads
-- $revenue 'won' takes deals won in the period, at their close; 'pipeline' open deals created
-- in it, at their creation (stg_revenue_events says when each converts).

select e.*
from stg_revenue_events as e
where
    e.revenue_type = $revenue
    and e.converted_at >= $start_at and e.converted_at < $end_at
    and e.lead_key in (select lead_key from scoped_leads)
