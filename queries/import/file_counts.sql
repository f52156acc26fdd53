-- Question: How many rows did each file feeding a table give, accepted, set aside and rejected?
-- Params: none
-- Grain: one row per file (its source index)
select
    src_index,
    count(*) as n_read,
    count(*) filter (where len(problems) = 0) as n_accepted,
    count(*) filter (where is_set_aside) as n_set_aside
from typed
group by 1
