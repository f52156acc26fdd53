-- Question: Which touches were accepted, and what came before and after each in its lead's journey?
-- Params: none
-- Grain: one row per accepted touch, in time order
-- Columns: {{columns}}
-- A touch keeps its line as touch_key (after the lines of earlier files, when several feed the
-- table): attribution orders touches at the same instant by it, so ties resolve the same way on
-- every run. Each also knows its lead's touch before it and the time of the one after it, so the
-- Markov model counts the steps of any window without sorting the touches again. They are
-- stored in time order, so that a query on a window of months reads only those months.
select
    *,
    lag(channel) over journey as prev_channel,
    lag(campaign) over journey as prev_campaign,
    lag(touched_at) over journey as prev_touched_at,
    lead(touched_at) over journey as next_touched_at
from (
    select
        t.lead_key,
        t.part_no * 10000000000 + t.line as touch_key,
        {{columns}}
    from typed as t
    where len(t.problems) = 0
)
window journey as (partition by lead_key order by touched_at, touch_key)
order by touched_at, touch_key
