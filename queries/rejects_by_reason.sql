-- Question: why were rows rejected at import, per table, and how many for each cause?
-- Params: none
-- Grain: one row per table × file × column × cause (the kind of problem, the same text for
-- every row it affects; each row's own detail is in rejected_rows)

with final as (
    select
        table_name,
        file_name,
        column_name,
        cause as reason,
        count(*) as n_rows,
        min(line) as first_line
    from import_rejects
    group by table_name, file_name, column_name, cause
)

select * from final
order by n_rows desc, table_name, reason
