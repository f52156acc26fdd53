-- Question: what is loaded, from where, when, and where does the data end?
-- Params: none
-- Grain: one row (the last import)
-- An update (import --update) records what it merged and into which import: import_mode
-- 'update' or 'update (complete export)', the leads added, changed and deleted, and the name
-- and import time of the database it updated (itself an import or an update). A full import's
-- record has none of these: its mode reads 'full import', the rest NULL. Read through JSON, as
-- source_name, so that a record without them is no error.

with final as (
    select
        imported_at,
        source_folder,
        -- What the user calls the export (the uploaded files, the folder); read through JSON
        -- so that an import record from before source_name existed gives the folder's name.
        coalesce(
            json_extract_string(to_json(r), '$.source_name'),
            regexp_extract(source_folder, '[^/\\]+$')
        ) as source_name,
        agreement_time_zone,
        data_end_at,
        handoff_version,
        coalesce(json_extract_string(to_json(r), '$.import_mode'), 'full import') as import_mode,
        cast(json_extract_string(to_json(r), '$.n_leads_added') as bigint) as n_leads_added,
        cast(json_extract_string(to_json(r), '$.n_leads_changed') as bigint) as n_leads_changed,
        cast(json_extract_string(to_json(r), '$.n_leads_deleted') as bigint) as n_leads_deleted,
        json_extract_string(to_json(r), '$.updated_from_name') as updated_from_name,
        cast(json_extract_string(to_json(r), '$.updated_from_imported_at') as timestamptz)
            as updated_from_imported_at
    from import_runs as r
)

select * from final
