-- Question: How many values of each file's timestamp columns are dates with no time of day?
-- Params: none
-- Grain: one row per file (its source index), one count per timestamp column
-- Columns: {{counts}}
-- Asked only when the mapping reads timestamps in another zone than the agreement's: a date
-- alone is then read at midnight in the agreement's zone, and the import says how many.
-- {{counts}} is `count(*) filter (where __d_<column>)` per timestamp column, in its order.
select
    src_index,
    {{counts}}
from typed
group by src_index
order by src_index
