-- Question: How is a CSV file written: its delimiter, quote, escape and columns?
-- Params: $path, $max_line, $strict
-- Grain: one row: the file's dialect as DuckDB's sniffer finds it
select
    Delimiter,
    Quote,
    Escape,
    Columns
from sniff_csv(
    $path,
    store_rejects = true,
    max_line_size = $max_line,
    strict_mode = $strict,
    compression = 'none'
)
