-- Question: why were rows rejected as bad at import, per table, and how many for each cause?
-- Params: none
-- Grain: one row per table × file × column × cause (the kind of problem, the same text for
-- every row it affects; each row's own detail is in rejected_rows). Rows set aside by a rule
-- of the mapping are not bad data and not counted here (set_aside_by_rule counts them).

with final as (
    select
        table_name,
        file_name,
        column_name,
        cause as reason,
        count(*) as n_rows,
        min(line) as first_line
    from import_rejects
    where outcome = 'rejected'
    group by table_name, file_name, column_name, cause
)

select * from final
order by n_rows desc, table_name, reason
