-- Question: how many rows per table were read, accepted, set aside and rejected; what do they span?
-- Params: none
-- Grain: one row per canonical table
-- n_rows is the table's rows in the database, per table (repeated on each of its files' rows):
-- after a full import the accepted rows, after an update (import --update) what the merge left,
-- while read, accepted and rejected count the newer export's files.

with spans as (
    select
        'leads' as table_name,
        min(created_at) as first_at,
        max(created_at) as last_at,
        count(*) as n_rows
    from leads
    union all
    select 'touches', min(touched_at), max(touched_at), count(*) from touches
    union all
    select 'activities', min(activity_at), max(activity_at), count(*) from activities
    union all
    select 'deals', min(created_at), max(created_at), count(*) from deals
    union all
    select 'spend', cast(min(month) as timestamptz), cast(max(month) as timestamptz), count(*)
    from spend
),

final as (
    select
        t.table_name,
        t.file_name,
        t.n_read,
        t.n_accepted,
        t.n_set_aside,
        t.n_rejected,
        t.extra_columns,
        s.first_at,
        s.last_at,
        s.n_rows
    from import_tables as t
    left join spans as s on s.table_name = t.table_name
)

select * from final
order by
    case table_name
        when 'leads' then 1 when 'touches' then 2 when 'activities' then 3
        when 'deals' then 4 else 5
    end
