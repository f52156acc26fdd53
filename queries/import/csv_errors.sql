-- Question: Which records of a CSV file could DuckDB not read, and why, said the way a person would?
-- Params: $codes, $said, $counts
-- Grain: one row per rejected record, by where it starts in the file
-- DuckDB may report one error per missing column of a short line: the first column's is kept.
select
    e.line_byte_position,
    arg_min(e.column_name, e.column_idx) as column_name,
    arg_min(
        coalesce(m.said, e.error_message)
        || coalesce(
            ' (' || nullif(
                regexp_replace(
                    regexp_extract(e.error_message, $counts, 0),
                    $counts,
                    'expected \1 fields, found \2'
                ),
                ''
            ) || ')',
            ''
        ),
        e.column_idx
    ) as reason,
    arg_min(coalesce(m.said, e.error_message), e.column_idx) as cause,
    to_json({'csv_line': trim(arg_min(e.csv_line, e.column_idx), chr(10))}) as record
from csv_reject_errors as e
left join (
    select
        unnest($codes) as code,
        unnest($said) as said
) as m on m.code = cast(e.error_type as varchar)
group by e.line_byte_position
order by 1
