-- Question: How many rows did each table reject as bad for each cause (the kind of problem)?
-- Params: none
-- Grain: one row per table × cause, most rows first
select
    table_name,
    cause as reason,
    count(*) as n
from import_rejects
where outcome = 'rejected'
group by all
order by n desc, 1, 2
