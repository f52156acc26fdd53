-- Question: How many rows did each table reject for each cause (the kind of problem)?
-- Params: none
-- Grain: one row per table × cause, most rows first
select
    table_name,
    cause as reason,
    count(*) as n
from import_rejects
group by all
order by n desc, 1, 2
