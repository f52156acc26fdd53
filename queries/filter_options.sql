-- Question: which sources, campaigns, owners and teams can a filter choose, with their leads?
-- Params: none
-- Grain: one row per dimension × value

with final as (
    select 'source' as dimension, source as value, count(*) as n_leads
    from stg_leads group by source
    union all
    select 'campaign', campaign, count(*) from stg_leads group by campaign
    union all
    select 'owner', owner, count(*) from stg_leads group by owner
    union all
    select 'team', team, count(*) from stg_leads group by team
)

select * from final
order by dimension, n_leads desc, value
