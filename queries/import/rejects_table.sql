-- Question: Where does an import keep every row it could not take, and why?
-- Params: none
-- Grain: one row per rejected row (a file's line); empty when made
create or replace table import_rejects (
    table_name varchar,
    file_name varchar,
    line bigint,
    column_name varchar,
    reason varchar,
    record varchar
)
