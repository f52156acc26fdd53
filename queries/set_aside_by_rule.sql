-- Question: which rows did a rule of the mapping set aside at import, and how many per rule?
-- Params: none
-- Grain: one row per table × file × rule (the rule's kind of file, condition and reason, as
-- `files.task.skip when WhoId is blank: the task is about no one`), most rows first

-- A row set aside is not bad data (a task about a contact, not a lead): it is counted apart
-- from the rejected rows, and the import reads it as the mapping says.
with final as (
    select
        table_name,
        file_name,
        cause as rule,
        count(*) as n_rows,
        min(line) as first_line
    from import_rejects
    where outcome = 'set_aside'
    group by table_name, file_name, cause
)

select * from final
order by n_rows desc, table_name, rule
