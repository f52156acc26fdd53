-- Question: which lead attributes exist, and which values can a filter choose for each?
-- Params: none
-- Grain: one row per attribute × value

with final as (
    select dimension as attribute, value, n_leads
    from stg_filter_values
    where is_attribute
)

select * from final
order by attribute, n_leads desc, value
