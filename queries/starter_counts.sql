-- Question: how many MQLs did each source hand over in each month, and how many of each month's MQLs did sales accept and discard, to start an agreement from?
-- Params: $periods, $scan_start_at, $scan_end_at, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs, $view, $strict
-- Grain: one row per period listed, for every source together (source NULL), then one per
-- period × source that handed over MQLs in it
-- Uses: periods, handed_over, mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- n_handed_over is marketing's MQL volume as the home page's "MQLs handed over" counts it (the
-- handed_over fragment: leads dated by their hand-over); a source with no hand-over in a period
-- has no row for it (the caller counts it as 0). n_mql, n_accepted and n_discarded are the
-- period's MQL cohort as the Discards page counts it (the mql_cohort fragment; handoff/starter.py
-- asks for the hand-over view): accepted = reached SAL by the data's end, discarded = discarded
-- at some point; they are NULL on the per-source rows. handoff/starter.py chooses the months.
-- (The column slots come with mql_cohort; callers leave them empty.)

with volume as (
    select
        period_index,
        source,
        count(*) as n_handed_over
    from handed_over
    group by grouping sets ((period_index, source), (period_index))
),

cohort as (
    select
        period_index,
        count(*) as n_mql,
        count(*) filter (where is_accepted) as n_accepted,
        count(*) filter (where is_discarded) as n_discarded
    from mql_cohort
    group by period_index
),

overall as (
    -- Every period listed, with or without hand-overs.
    select
        p.period_index,
        cast(null as varchar) as source,
        coalesce(v.n_handed_over, 0) as n_handed_over,
        coalesce(c.n_mql, 0) as n_mql,
        coalesce(c.n_accepted, 0) as n_accepted,
        coalesce(c.n_discarded, 0) as n_discarded
    from periods as p
    left join volume as v on v.period_index = p.period_index and v.source is null
    left join cohort as c on c.period_index = p.period_index
),

by_source as (
    select
        period_index,
        source,
        n_handed_over,
        cast(null as bigint) as n_mql,
        cast(null as bigint) as n_accepted,
        cast(null as bigint) as n_discarded
    from volume
    where source is not null
),

final as (
    select * from overall
    union all
    select * from by_source
)

select * from final
order by period_index, source nulls first
