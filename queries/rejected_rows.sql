-- Question: which rows were rejected as bad, on which line, and why (first rows per table)?
-- Params: $limit
-- Grain: one row per rejected row, at most $limit per table (rows set aside by a rule of the
-- mapping are not bad data: set_aside_rows lists them)

with ranked as (
    select
        *,
        row_number() over (partition by table_name order by line) as nth
    from import_rejects
    where outcome = 'rejected'
),

final as (
    select table_name, file_name, line, column_name, reason, record
    from ranked
    where nth <= $limit
)

select * from final
order by table_name, line
