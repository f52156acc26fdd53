-- Question: which leads match the page's filters (source, campaign, owner, team, attributes)?
-- Params: $sources, $campaigns, $owners, $teams, $attribute_pairs
-- Grain: one row per lead (stg_leads columns)
-- A NULL list means "all". $attribute_pairs holds 'attribute=value' strings: a lead matches when
-- it has one of the listed values for every attribute named.

select l.*
from stg_leads as l
where
    ($sources is null or list_contains($sources, l.source))
    and ($campaigns is null or list_contains($campaigns, l.campaign))
    and ($owners is null or list_contains($owners, l.owner))
    and ($teams is null or list_contains($teams, l.team))
    and (
        $attribute_pairs is null
        or l.lead_key in (
            select a.lead_key
            from lead_attributes as a
            where list_contains($attribute_pairs, a.attribute || '=' || a.value)
            group by a.lead_key
            having count(distinct a.attribute) = (
                select count(distinct split_part(p.pair, '=', 1))
                from (select unnest($attribute_pairs) as pair) as p
            )
        )
    )
