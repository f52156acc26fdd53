-- Question: which lead attributes can filter and break down leads, and which values can they take?
-- Params: none
-- Grain: one row per attribute × value
-- An attribute with more than 50 distinct values is an identifier or free text (an e-mail, a
-- name, a phone number), not a category: it stays on the lead but is not offered.

with counted as (
    select
        dimension as attribute,
        value,
        n_leads,
        count(*) over (partition by dimension) as n_values
    from stg_filter_values
    where is_attribute
),

final as (
    select attribute, value, n_leads
    from counted
    where n_values <= 50
)

select * from final
order by attribute, n_leads desc, value
