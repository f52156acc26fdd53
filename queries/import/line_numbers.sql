-- Question: On which line of its file, as a text editor shows it, is each row read?
-- Params: $from_rows, $shifts, $n
-- Grain: one row per row of the file
-- Columns: {{lines}}
-- A row is on line rowid + 2 (the header is line 1) plus the last shift at or before it: the
-- lines of records not read before it, and the extra lines of multi-line records.
create or replace temp table {{lines}} as
with shift as (
    select
        unnest($from_rows) as from_row,
        unnest($shifts) as shift
)

select
    r.range as row,
    r.range + 2 + coalesce(h.shift, 0) as line
from range($n) as r
asof left join shift as h on r.range >= h.from_row
