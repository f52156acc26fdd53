-- Question: Which leads were accepted, each with its lead_key?
-- Params: none
-- Grain: one row per accepted lead, in order of creation
-- Columns: {{columns}}
-- lead_key numbers leads by creation: a compact join key for every other table, and the table's
-- sort order (so a period filter on created_at skips most of the table).
select
    row_number() over (order by t.created_at, t.lead_id) as lead_key,
    {{columns}}
from typed as t
where len(t.problems) = 0
order by lead_key
