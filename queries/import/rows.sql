-- Question: Which rows of a table that belongs to no lead (spend) were accepted?
-- Params: none
-- Grain: one row per accepted row
-- Columns: {{columns}}
select {{columns}}
from typed as t
where len(t.problems) = 0
