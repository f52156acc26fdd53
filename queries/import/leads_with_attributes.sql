-- Question: What is every lead with the attributes a file about leads gives it?
-- Params: none
-- Grain: one row per lead, in lead_key order (the leads table, remade)
-- Columns: {{columns}}
-- {{columns}} are the attribute columns of `row_lead_attributes` (as `a`): blank for a lead
-- without an accepted row in that file.
create or replace table leads as
select
    l.*,
    {{columns}}
from leads as l
left join row_lead_attributes as a on a.lead_key = l.lead_key
order by l.lead_key
