-- Question: Where does an import keep every row it could not take, and why?
-- Params: none
-- Grain: one row per rejected row (a file's line), with its detail and its cause; empty when made
create or replace table import_rejects (
    table_name varchar,
    file_name varchar,
    line bigint,
    column_name varchar,
    reason varchar,
    record varchar,
    -- The kind of problem, the same text for every row it affects ("lead_id: duplicate
    -- lead_id"): summaries count by it; `reason` keeps the row's own detail.
    cause varchar
)
