-- Question: How many rows did each rule of the mapping set aside, per table and file?
-- Params: none
-- Grain: one row per table × file × rule, most rows first
select
    table_name,
    file_name,
    cause as rule,
    count(*) as n
from import_rejects
where outcome = 'set_aside'
group by all
order by n desc, 1, 2, 3
