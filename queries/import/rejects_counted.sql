-- Question: How many rows were rejected per file, column and cause (the kind of problem)?
-- Params: none
-- Grain: one row per file × column × cause, most rows first
select
    file_name,
    coalesce(column_name, '') as column_name,
    cause as reason,
    count(*) as n_rows
from import_rejects
group by all
order by n_rows desc, 1, 2, 3
