-- Question: How many rows did each table reject for each reason (quoted values shown as …)?
-- Params: none
-- Grain: one row per table × reason, most rows first
select
    table_name,
    regexp_replace(reason, '''[^'']*''', '…', 'g') as reason,
    count(*) as n
from import_rejects
group by all
order by n desc, 1, 2
