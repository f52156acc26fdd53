-- Question: Which rows of a table that belongs to leads (activities, deals) were accepted?
-- Params: none
-- Grain: one row per accepted row, with its lead's lead_key
-- Columns: {{columns}}
select
    t.lead_key,
    {{columns}}
from typed as t
where len(t.problems) = 0
