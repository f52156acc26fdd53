-- Question: which rows were rejected, on which line, and why (first rows per table)?
-- Params: $limit
-- Grain: one row per rejected row, at most $limit per table

with ranked as (
    select
        *,
        row_number() over (partition by table_name order by line) as nth
    from import_rejects
),

final as (
    select table_name, file_name, line, column_name, reason, record
    from ranked
    where nth <= $limit
)

select * from final
order by table_name, line
