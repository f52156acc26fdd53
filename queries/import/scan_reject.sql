-- Question: Which record did the byte scan take out of a file, on which line, and why?
-- Params: $table, $file, $line, $reason, $cause, $text
-- Grain: inserts one row into import_rejects
insert into import_rejects
values (
    $table, $file, $line, null, $reason, to_json({'csv_line': cast($text as varchar)}), $cause,
    'rejected'
)
