-- Question: How many rows of each file feeding a table were rejected as bad?
-- Params: $table
-- Grain: one row per file name
select
    file_name,
    count(*) as n_rejected
from import_rejects
where table_name = $table and outcome = 'rejected'
group by 1
