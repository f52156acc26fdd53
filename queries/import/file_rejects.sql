-- Question: Which rows of one file were rejected, with every reason and the record as read?
-- Params: $table, $file, $src_index
-- Grain: inserts one row per rejected row of the file into import_rejects
-- Columns: {{source}}
insert into import_rejects
select
    $table,
    $file,
    typed.line,
    typed.problems[1].col,
    array_to_string(list_transform(typed.problems, lambda p: p.col || ': ' || p.why), '; '),
    to_json(s)
from typed
join {{source}} as s on s.rowid = typed.raw_rowid
where typed.src_index = $src_index and len(typed.problems) > 0
