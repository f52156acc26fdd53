-- Question: why were rows rejected at import, per table, and how many for each reason?
-- Params: none
-- Grain: one row per table × column × reason kind (quoted values folded into …)

with folded as (
    select
        table_name,
        file_name,
        column_name,
        regexp_replace(reason, '''[^'']*''', '…', 'g') as reason,
        line
    from import_rejects
),

final as (
    select
        table_name,
        file_name,
        column_name,
        reason,
        count(*) as n_rows,
        min(line) as first_line
    from folded
    group by all
)

select * from final
order by n_rows desc, table_name, reason
