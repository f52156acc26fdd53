-- Question: How many rows were rejected (or set aside by a rule) per file, column and cause?
-- Params: none
-- Grain: one row per outcome × file × column × cause (the kind of problem, or the rule),
-- most rows first
select
    outcome,
    file_name,
    coalesce(column_name, '') as column_name,
    cause as reason,
    count(*) as n_rows
from import_rejects
group by all
order by n_rows desc, 1, 2, 3, 4
