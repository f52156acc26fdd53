-- Question: How many rows did each file feeding a table give, and how many were accepted?
-- Params: none
-- Grain: one row per file (its source index)
select
    src_index,
    count(*) as n_read,
    count(*) filter (where len(problems) = 0) as n_accepted
from typed
group by 1
