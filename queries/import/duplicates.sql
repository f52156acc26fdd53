-- Question: Which rows repeat the key (lead_id, deal_id) of an earlier row, and where was it first?
-- Params: $key_name, $files, $key_columns
-- Grain: updates one row per duplicate in `typed`
-- Columns: {{key}}
-- The first row, in file order (files in the mapping's order), keeps the key; only rows that are
-- otherwise fine are looked at, so a broken row never takes a key from a good one. The reason
-- names the file's column the key came from ($key_columns, by file as $files).
update typed set problems = [
    {
        'col': cast(list_extract($key_columns, typed.src_index + 1) as varchar),
        'canon': cast($key_name as varchar),
        'cause': 'duplicate ' || cast($key_name as varchar),
        'why': 'duplicate ' || cast($key_name as varchar) || ' ''' || typed.{{key}} || ''''
            || ', first seen on line ' || d.first_line
            || case
                when d.first_file <> typed.src_index
                    then ' of ' || list_extract($files, d.first_file + 1)
                else ''
            end
    }
]
from (
    select
        src_index,
        line,
        first_value(line) over w as first_line,
        first_value(src_index) over w as first_file,
        row_number() over w as nth
    from typed
    where len(problems) = 0
    window w as (partition by {{key}} order by part_no, line)
) as d
where typed.src_index = d.src_index and typed.line = d.line and d.nth > 1
