-- Question: How many rows, uncompressed bytes and columns does a Parquet file hold, by its metadata alone?
-- Params: $p
-- Grain: one row: the file's figures
select
    (select sum(num_rows) from parquet_file_metadata($p)) as n_rows,
    (select coalesce(sum(total_uncompressed_size), 0) from parquet_metadata($p)) as n_bytes,
    (select count(*) from parquet_schema($p) where num_children is null) as n_columns
