-- Question: Which leads have a value for one attribute, and what is it?
-- Params: $attribute
-- Grain: inserts one row per lead with a value of the attribute
-- Columns: {{column}}
insert into lead_attributes
select
    lead_key,
    lead_id,
    $attribute,
    {{column}}
from leads
where {{column}} is not null
