-- Question: What did the update that made the database do, and to which import?
-- Params: $complete, $n_added, $n_changed, $n_unchanged, $n_deleted, $base_name, $base_at
-- Grain: one row: the import record (import_runs) with what the update did beside it
-- An update's record is a full import's (the newer export's folder, files and the merged data's
-- end) plus how it merged: a complete export deletes the leads it lacks; base_* name the import
-- it updated (its own name and time, whether that was a full import or an update).
create or replace table import_runs as
select
    *,
    case when $complete then 'update (complete export)' else 'update' end as import_mode,
    cast($n_added as bigint) as n_leads_added,
    cast($n_changed as bigint) as n_leads_changed,
    cast($n_unchanged as bigint) as n_leads_unchanged,
    cast($n_deleted as bigint) as n_leads_deleted,
    cast($base_name as varchar) as updated_from_name,
    cast($base_at as timestamptz) as updated_from_imported_at
from import_runs
