-- Question: which sources, campaigns, owners and teams can a filter choose, with their leads?
-- Params: none
-- Grain: one row per dimension × value

with final as (
    select dimension, value, n_leads
    from stg_filter_values
    where not is_attribute
)

select * from final
order by dimension, n_leads desc, value
