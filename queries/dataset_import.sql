-- Question: what is loaded, from where, when, and where does the data end?
-- Params: none
-- Grain: one row (the last import)

with final as (
    select
        imported_at,
        source_folder,
        agreement_time_zone,
        data_end_at,
        handoff_version
    from import_runs
)

select * from final
