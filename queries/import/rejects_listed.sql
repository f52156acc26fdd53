-- Question: Which rows of a checked export were rejected or set aside, on which line and why?
-- Params: none
-- Grain: one row per rejected or set-aside row, by table, file and line
select
    outcome,
    file_name,
    line,
    column_name,
    reason
from import_rejects
order by table_name, file_name, line
