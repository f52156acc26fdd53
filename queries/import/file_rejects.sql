-- Question: Which rows of one file were rejected or set aside, with every reason and the record?
-- Params: $table, $file, $src_index
-- Grain: inserts one row per rejected or set-aside row of the file into import_rejects
-- Columns: {{source}}
-- A reason names the file's column and the canonical one: `column "Created Date" (created_at):
-- ...`. A value that fails the same way for two canonical columns made of one column of the
-- file is said once, naming both: `(created_at, mql_at)`. A row set aside by a rule says the
-- rule: `files.task.skip when WhoId is blank: the task is about no one (no WhoId)`.
insert into import_rejects
with problems as (
    select
        typed.raw_rowid,
        typed.line,
        typed.is_set_aside,
        unnest(typed.problems) as p,
        generate_subscripts(typed.problems, 1) as i
    from typed
    where typed.src_index = $src_index and len(typed.problems) > 0
),

said as (
    select
        raw_rowid,
        line,
        is_set_aside,
        p.col,
        p.why,
        min(i) as i,
        min(p.cause) as cause,
        string_agg(p.canon, ', ' order by i) filter (where p.canon <> p.col) as canons
    from problems
    group by raw_rowid, line, is_set_aside, p.col, p.why
),

per_row as (
    select
        raw_rowid,
        line,
        is_set_aside,
        arg_min(col, i) as column_name,
        -- A row set aside has one problem, the rule, which its text names whole.
        case
            when is_set_aside then min(why)
            else string_agg(
                'column "' || col || '"' || coalesce(' (' || canons || ')', '') || ': ' || why,
                '; '
                order by i
            )
        end as reason,
        case
            when is_set_aside then min(cause)
            else string_agg(distinct col || ': ' || cause, '; ')
        end as cause
    from said
    group by raw_rowid, line, is_set_aside
)

select
    $table,
    $file,
    per_row.line,
    per_row.column_name,
    per_row.reason,
    to_json(s),
    per_row.cause,
    case when per_row.is_set_aside then 'set_aside' else 'rejected' end
from per_row
join {{source}} as s on s.rowid = per_row.raw_rowid
