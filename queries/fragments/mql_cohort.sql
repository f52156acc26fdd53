-- Question: which scoped leads are the MQLs of the period, and what became of each?
-- Params: $start_at, $end_at
-- Grain: one row per MQL of the period (grouped_stages columns)
-- Uses: grouped_stages
-- The MQLs of the period are the leads counted at MQL in it (counted_stages: handed over in it,
-- or, in the creation cohort, created in it and handed over by the data's end). Accepted means
-- reached SAL by the data's end; discarded means sales discarded it at some point, even if it
-- came back later (its disposition then says where it is now).

select
    *,
    mode_sal_at is not null as is_accepted,
    discarded_at is not null as was_discarded,
    case when disposition = 'active' then 'active: ' || furthest_stage else disposition end
        as account,
    (epoch(data_end_at) - epoch(last_stage_change_at)) / 86400 as days_since_stage_change
from grouped_stages
where mql_counts_at >= $start_at and mql_counts_at < $end_at
