-- Question: Does a file write its numeric dates day first, month first, or only in ways that could be either, and where first?
-- Params: $numeric_date
-- Grain: one row per order found (day, month, either), with the first date of it
-- Columns: {{dates}}
-- {{dates}} is every value of the file's date columns that looks like a numeric date (a header
-- number, the value and its line). 05/04/2026 could be either; 13/04/2026 is day first.
with numeric as (
    select
        header,
        v,
        line,
        cast(regexp_extract(v, $numeric_date, 1) as integer) as a,
        cast(regexp_extract(v, $numeric_date, 2) as integer) as b
    from ({{dates}})
),

ordered as (
    select
        *,
        case
            when a > 12 and b <= 12 then 'day'
            when b > 12 and a <= 12 then 'month'
            when a <> b and a <= 12 and b <= 12 then 'either'
        end as kind
    from numeric
),

final as (
    select
        kind,
        count(*) as n,
        arg_min([header, trim(v), cast(line as varchar)], line) as example
    from ordered
    where kind is not null
    group by kind
)

select * from final
