-- Question: Which records of a file did DuckDB reject, on the line a text editor shows each on?
-- Params: $table, $file, $lines, $cols, $reasons, $records, $causes
-- Grain: inserts one row per rejected record into import_rejects
insert into import_rejects
select
    $table,
    $file,
    unnest($lines),
    unnest($cols),
    unnest($reasons),
    unnest($records),
    unnest($causes),
    'rejected'
