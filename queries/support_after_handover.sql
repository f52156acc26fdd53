-- Question: did marketing keep touching the leads it handed over, and did those convert more?
-- Params: $scan_start_at, $scan_end_at, $periods, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs, $window_days
-- Grain: one row overall, one per source and one per furthest stage (breakdown, group_name)
-- Uses: handed_over
-- The leads are those handed over in the period (dated by the hand-over, whatever the view, as
-- follow-up is). A handed-over lead is supported when marketing touched it strictly after its
-- hand-over (a touch at the very moment is the one that handed it over), within $window_days
-- of it (the agreement's support.window_days) and while it was still open: before its first
-- close at or after the hand-over (won, lost, discarded or recycled; a touch at the moment of
-- the close does not count). SQL and won mean reached by the data's end. stage is the lead's
-- furthest stage at the data's end. Without any touch data nothing is judged: the supported
-- counts are NULL ("no touch data"), never 0.

with leads as (
    select
        lead_key,
        source,
        furthest_stage,
        handover_at,
        is_sql,
        is_won,
        -- The first close at or after the hand-over ends the support (a close stamped before
        -- the hand-over is a lead that came back, still open).
        least(
            case when won_at >= handover_at then won_at end,
            case when lost_at >= handover_at then lost_at end,
            case when discarded_at >= handover_at then discarded_at end,
            case when recycled_at >= handover_at then recycled_at end
        ) as closed_at
    from handed_over
),

supported as (
    select distinct l.lead_key
    from leads as l
    inner join touches as t
        on
            t.lead_key = l.lead_key
            and t.touched_at > l.handover_at
            and t.touched_at
            <= l.handover_at + to_microseconds(cast($window_days * 86400e6 as bigint))
            and (l.closed_at is null or t.touched_at < l.closed_at)
),

flagged as (
    select
        l.*,
        s.lead_key is not null as is_supported
    from leads as l
    left join supported as s on s.lead_key = l.lead_key
),

counts as (
    select
        case
            when grouping(source) = 0 then 'source'
            when grouping(furthest_stage) = 0 then 'stage'
            else 'all'
        end as breakdown,
        coalesce(source, furthest_stage) as group_name,
        count(*) as n_handed_over,
        count(*) filter (where is_supported) as n_supported,
        count(*) filter (where not is_supported) as n_unsupported,
        count(*) filter (where is_supported and is_sql) as n_sql_supported,
        count(*) filter (where not is_supported and is_sql) as n_sql_unsupported,
        count(*) filter (where is_supported and is_won) as n_won_supported,
        count(*) filter (where not is_supported and is_won) as n_won_unsupported
    from flagged
    group by grouping sets ((), (source), (furthest_stage))
),

final as (
    select
        c.breakdown,
        c.group_name,
        c.n_handed_over,
        case when ds.has_touch_data then c.n_supported end as n_supported,
        case when ds.has_touch_data then c.n_unsupported end as n_unsupported,
        case when ds.has_touch_data then c.n_sql_supported end as n_sql_supported,
        case when ds.has_touch_data then c.n_sql_unsupported end as n_sql_unsupported,
        case when ds.has_touch_data then c.n_won_supported end as n_won_supported,
        case when ds.has_touch_data then c.n_won_unsupported end as n_won_unsupported,
        ds.has_touch_data
    from counts as c
    cross join stg_dataset as ds
    -- A period without hand-overs still has its overall row (of zeros); no group rows.
    where c.breakdown = 'all' or c.n_handed_over > 0
)

select * from final
order by
    case breakdown when 'all' then 1 when 'source' then 2 else 3 end,
    case group_name
        when 'mql' then 1 when 'sal' then 2 when 'sql' then 3 when 'opportunity' then 4
        when 'won' then 5
    end,
    n_handed_over desc,
    group_name
