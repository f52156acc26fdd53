-- Question: Which status values of a file does its mapping not map to a stage, and how often?
-- Params: $mapped_statuses
-- Grain: one row per status value, most frequent first
-- Columns: {{status}}, {{source}}
select
    {{status}} as v,
    count(*) as n
from {{source}} as s
where {{status}} is not null and not list_contains($mapped_statuses, lower({{status}}))
group by 1
order by n desc, v
