-- Question: How many rows were rejected per file, column and reason (values in a reason shown as …)?
-- Params: $quoted
-- Grain: one row per file × column × reason, most rows first
select
    file_name,
    coalesce(column_name, '') as column_name,
    regexp_replace(reason, $quoted, '…', 'g') as reason,
    count(*) as n_rows
from import_rejects
group by all
order by n_rows desc, 1, 2, 3
