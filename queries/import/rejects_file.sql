-- Question: Which rows did the import reject or set aside, as the rejects file lists them?
-- Params: none
-- Grain: one row per rejected or set-aside row, by table, file and line
select
    table_name as table,
    file_name as file,
    line,
    outcome,
    column_name as column,
    reason,
    cause,
    record
from import_rejects
order by table_name, file_name, line
