-- Question: which lead attributes exist, and which values can a filter choose for each?
-- Params: none
-- Grain: one row per attribute × value

with final as (
    select attribute, value, count(*) as n_leads
    from lead_attributes
    group by attribute, value
)

select * from final
order by attribute, n_leads desc, value
