-- Question: what is loaded, from where, when, and where does the data end?
-- Params: none
-- Grain: one row (the last import)

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
        handoff_version
    from import_runs as r
)

select * from final
