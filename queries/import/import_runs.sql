-- Question: What was imported, from where, how, and where does its data end?
-- Params: $folder, $tz, $data_end, $version, $schema, $format, $title, $detection, $merges,
--   $name
-- Grain: one row: the import that made the database
create or replace table import_runs as
select
    now() as imported_at,
    $folder as source_folder,
    $tz as agreement_time_zone,
    cast($data_end as timestamptz) as data_end_at,
    $version as handoff_version,
    $schema as schema_version,
    $format as format,
    $title as format_title,
    $detection as detection,
    $merges as label_merges,
    $name as source_name
