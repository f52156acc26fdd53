-- Question: which two periods does a comparison count: the period and the one before?
-- Params: $start_at, $end_at, $previous_start_at, $previous_end_at
-- Grain: one row per period ('current', 'previous')

select 'current' as period, $start_at as start_at, $end_at as end_at
union all
select 'previous' as period, $previous_start_at as start_at, $previous_end_at as end_at
