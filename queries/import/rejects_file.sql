-- Question: Which rows did the import reject, as the rejects file beside the database lists them?
-- Params: none
-- Grain: one row per rejected row, by table, file and line
select
    table_name as table,
    file_name as file,
    line,
    column_name as column,
    reason,
    record
from import_rejects
order by table_name, file_name, line
