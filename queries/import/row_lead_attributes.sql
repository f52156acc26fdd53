-- Question: Which value of each lead attribute do a lead's accepted rows of a file about leads give it?
-- Params: none
-- Grain: creates one row per lead with an accepted row (its lead_key), one column per attribute
-- Columns: {{values}}
-- {{values}} aggregates each attribute's values (`__a_<name>`) over the lead's rows as the
-- mapping picks them: first or last in file order, by a date column (`__o_<name>`), or any.
create or replace temp table row_lead_attributes as
select
    t.lead_key,
    {{values}}
from typed as t
where len(t.problems) = 0 and t.lead_key is not null
group by t.lead_key
