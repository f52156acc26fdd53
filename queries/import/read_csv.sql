-- Question: What does a CSV file hold, every field as text, in exactly the dialect sniffed?
-- Params: $path, $names, $delim, $quote, $escape, $max_line, $strict
-- Grain: one row per record of the file that DuckDB could read
-- Columns: {{table}}
-- Records DuckDB cannot read go to csv_reject_errors, to be rejected with their line.
create or replace temp table {{table}} as
select *
from read_csv(
    $path,
    all_varchar = true,
    header = true,
    names = $names,
    delim = $delim,
    quote = $quote,
    escape = $escape,
    store_rejects = true,
    rejects_table = 'csv_reject_errors',
    rejects_scan = 'csv_reject_scans',
    max_line_size = $max_line,
    strict_mode = $strict,
    compression = 'none'
)
