-- Question: What is each row of one file, typed by the contract, and what is wrong with it?
-- Params: $src_index, $part_no
-- Grain: one row per row read from the file (of those its kind's row rule gives it)
-- Columns: {{line}}, {{columns}}, {{skip}}, {{problems}}, {{made}}, {{joins}}, {{rows}}
-- {{made}} is the file's table with the values the mapping makes of its columns; {{columns}}
-- the typed values, {{problems}} a struct(col, canon, cause, why) per check (NULL when it passes), {{skip}}
-- why a row is set aside by a rule of the mapping, {{joins}} the lead each row belongs to, and
-- {{rows}} which of the file's rows this kind of file takes (its row rule; true for all).
select
    cast($src_index as integer) as src_index,
    cast($part_no as integer) as part_no,
    s.rowid as raw_rowid,
    {{line}} as line,
    {{columns}},
    -- A row set aside says only which rule set it aside; any other row lists every problem
    -- it has.
    cast(
        case
            when {{skip}} is not null then [{{skip}}]
            else list_filter([{{problems}}], lambda p: p is not null)
        end as struct(col varchar, canon varchar, cause varchar, why varchar)[]
    ) as problems,
    {{skip}} is not null as is_set_aside
from {{made}} as s {{joins}}
where {{rows}}
