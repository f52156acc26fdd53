-- Question: which breakdown group (or pair of groups) does each scoped lead belong to?
-- Params: $by, $by2
-- Grain: one row per scoped lead (counted_stages columns plus group_1, group_2)
-- Uses: counted_stages
-- $by and $by2 name a lead column (source, campaign, owner, team) or a lead attribute; $by2 is
-- NULL for a one-way breakdown. A lead with no value for an attribute is in '(blank)'.

select
    s.*,
    case $by
        when 'source' then s.source
        when 'campaign' then s.campaign
        when 'owner' then s.owner
        when 'team' then s.team
        else coalesce(a1.value, '(blank)')
    end as group_1,
    case
        when $by2 is null then null
        when $by2 = 'source' then s.source
        when $by2 = 'campaign' then s.campaign
        when $by2 = 'owner' then s.owner
        when $by2 = 'team' then s.team
        else coalesce(a2.value, '(blank)')
    end as group_2
from counted_stages as s
left join lead_attributes as a1 on a1.lead_id = s.lead_id and a1.attribute = $by
left join lead_attributes as a2 on a2.lead_id = s.lead_id and a2.attribute = $by2
