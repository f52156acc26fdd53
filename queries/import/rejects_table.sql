-- Question: Where does an import keep every row it did not take, and why?
-- Params: none
-- Grain: one row per row not taken (a file's line): rejected as bad, or set aside by a rule of
-- the mapping; with its detail and its cause; empty when made
create or replace table import_rejects (
    table_name varchar,
    file_name varchar,
    line bigint,
    column_name varchar,
    reason varchar,
    record varchar,
    -- The kind of problem, the same text for every row it affects ("lead_id: duplicate
    -- lead_id"): summaries count by it; `reason` keeps the row's own detail.
    cause varchar,
    -- 'rejected': bad data (the cause says what is wrong); 'set_aside': a row the mapping's
    -- rule leaves out (a task about a contact; the cause names the rule), not bad data.
    outcome varchar
)
