-- Question: which kinds of data does the loaded export hold at all?
-- Params: none
-- Grain: one row
-- Missing data is said, never shown as zero: without activities and without first-contact
-- dates there is no follow-up data, so no lead is judged against the follow-up target; without
-- touches no attribution model has anything to credit, and the attribution page leads with the
-- CRM's own report; without any amount (on the leads or the deals) won revenue is unknown, not
-- $0; without deals the lead columns stand in; without spend there are no costs.

with final as (
    select
        (select count(*) from activities) > 0
        or (select count(first_contacted_at) from leads) > 0 as has_follow_up_data,
        (select count(*) from touches) > 0 as has_touch_data,
        (select count(amount) from leads) > 0
        or (select count(amount) from deals) > 0 as has_revenue_data,
        (select count(*) from deals) > 0 as has_deal_data,
        (select count(*) from spend) > 0 as has_spend_data
)

select * from final
