-- Question: Which spellings of one vocabulary's labels differ only in case, spaces or punctuation, and which spelling do they become?
-- Params: none
-- Grain: one row per spelling that is merged into another
-- Columns: {{label_values}}
-- {{label_values}} is every value of the vocabulary's columns (as `v`). Values whose letters and
-- digits agree, ignoring case, are one label; every spelling becomes the most frequent one (ties:
-- the one with more spaces, then the first in alphabetical order). Handoff's own placeholders,
-- like `(unknown)`, are left alone.
with counted as (
    select
        v,
        count(*) as n,
        lower(regexp_replace(v, '[^\p{L}\p{N}]', '', 'g')) as k
    from ({{label_values}})
    where not starts_with(v, '(')
    group by v
),

ranked as (
    select
        *,
        rank() over (partition by k order by v) as rank
    from counted
),

chosen as (
    select
        k,
        arg_max(v, (n, length(v) - length(replace(v, ' ', '')), -rank)) as canon
    from ranked
    group by k
    having count(*) > 1
),

final as (
    select
        c.v,
        h.canon,
        c.n
    from counted as c
    join chosen as h using (k)
    where c.v <> h.canon and h.k <> ''
)

select * from final
order by canon, v
