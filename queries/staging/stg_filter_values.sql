-- Question: which values can each filter and breakdown choose, and how many leads has each?
-- Params: none
-- Grain: one row per dimension × value (the lead columns, then every lead attribute)

with columns as (
    select 'source' as dimension, source as value, count(*) as n_leads
    from stg_leads group by source
    union all
    select 'campaign' as dimension, campaign as value, count(*) as n_leads
    from stg_leads group by campaign
    union all
    select 'owner' as dimension, owner as value, count(*) as n_leads
    from stg_leads group by owner
    union all
    select 'team' as dimension, team as value, count(*) as n_leads
    from stg_leads group by team
),

attributes as (
    select attribute as dimension, value, count(*) as n_leads
    from lead_attributes
    group by attribute, value
),

final as (
    select dimension, value, n_leads, false as is_attribute from columns
    union all
    select dimension, value, n_leads, true as is_attribute from attributes
)

select * from final
