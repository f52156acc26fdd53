-- Question: which kinds of data does the loaded export hold: follow-up, touches, revenue amounts, deals, spend?
-- Params: none
-- Grain: one row

with final as (
    select has_follow_up_data, has_touch_data, has_revenue_data, has_deal_data, has_spend_data
    from stg_dataset
)

select * from final
