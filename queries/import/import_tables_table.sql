-- Question: What happened to each file of the export (rows read, accepted, set aside, rejected)?
-- Params: none
-- Grain: one row per file (or per canonical table no file feeds); empty when made
create or replace table import_tables (
    table_name varchar,
    file_name varchar,
    file_kind varchar,
    n_read bigint,
    n_accepted bigint,
    n_rejected bigint,
    n_set_aside bigint,
    extra_columns varchar[],
    notes varchar[]
)
