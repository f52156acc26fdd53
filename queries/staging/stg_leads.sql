-- Question: what are the agreed facts of every lead: stages reached, follow-up, SLA, disposition?
-- Params: none
-- Grain: one row per lead, in order of creation
-- Columns: {{attribute_columns}}
-- Every page reads these facts; none recomputes them. Hours are on the agreement's clock
-- (calendar, or business hours from business_calendar) unless the name says calendar.
-- Durations subtract epochs, never timestamps: an interval between two instants is counted in
-- local calendar days by DuckDB, which makes a day with a daylight-saving change 24 hours long.
-- A lead is judged by the agreement version in force at its hand-over (at its creation when it
-- was never handed over): that version's follow-up target, clock and stale limit, whichever
-- versions its follow-up runs into.

with settings as (
    select data_end_at from agreement_settings
),

versions as (
    select * from agreement_versions
),

calendar as (
    select version, day, open_at, open_hours, hours_before from business_calendar
),

moments as (
    select
        s.*,
        f.handover_at,
        f.first_follow_up_at,
        f.n_activities,
        f.n_activities_before_handover,
        f.last_activity_at,
        coalesce(f.handover_at, s.created_at) as judged_at
    from stg_lead_stages as s
    inner join stg_follow_up as f on f.lead_key = s.lead_key
),

joined as (
    select
        m.*,
        v.version as agreement_version,
        v.follow_up_target_hours,
        v.follow_up_clock,
        v.stale_after_days,
        -- Routing ends at assignment, but never before the hand-over or after the follow-up,
        -- so routing delay + rep delay = latency.
        least(greatest(m.assigned_at, m.handover_at), m.first_follow_up_at) as routed_at
    from moments as m
    asof left join versions as v on m.judged_at >= v.starts_at
),

end_reading as (
    -- The business clock of each version at the data's end.
    select
        v.version,
        settings.data_end_at,
        c.hours_before
        + least(greatest((epoch(settings.data_end_at) - epoch(c.open_at)) / 3600, 0), c.open_hours)
            as end_business_hours
    from versions as v
    cross join settings
    left join calendar as c
        on c.version = v.version and c.day = cast(settings.data_end_at as date)
),

readings as (
    -- The business clock at hand-over, routing and follow-up.
    select
        j.*,
        ch.hours_before
        + least(greatest((epoch(j.handover_at) - epoch(ch.open_at)) / 3600, 0), ch.open_hours)
            as handover_business_hours,
        cr.hours_before
        + least(greatest((epoch(j.routed_at) - epoch(cr.open_at)) / 3600, 0), cr.open_hours)
            as routed_business_hours,
        cf.hours_before
        + least(greatest((epoch(j.first_follow_up_at) - epoch(cf.open_at)) / 3600, 0), cf.open_hours)
            as follow_up_business_hours
    from joined as j
    left join calendar as ch
        on ch.version = j.agreement_version and ch.day = cast(j.handover_at as date)
    left join calendar as cr
        on cr.version = j.agreement_version and cr.day = cast(j.routed_at as date)
    left join calendar as cf
        on cf.version = j.agreement_version and cf.day = cast(j.first_follow_up_at as date)
),

latency as (
    select
        r.*,
        e.data_end_at,
        -- A follow-up stamped before the hand-over is a data error: counted, never averaged.
        r.first_follow_up_at < r.handover_at as has_negative_follow_up,
        (epoch(r.first_follow_up_at) - epoch(r.handover_at)) / 3600 as follow_up_calendar_hours,
        case r.follow_up_clock
            when 'business' then r.follow_up_business_hours - r.handover_business_hours
            else (epoch(r.first_follow_up_at) - epoch(r.handover_at)) / 3600
        end as clock_follow_up_hours,
        case r.follow_up_clock
            when 'business' then r.routed_business_hours - r.handover_business_hours
            else (epoch(r.routed_at) - epoch(r.handover_at)) / 3600
        end as clock_routing_hours,
        case r.follow_up_clock
            when 'business' then r.follow_up_business_hours - r.routed_business_hours
            else (epoch(r.first_follow_up_at) - epoch(r.routed_at)) / 3600
        end as clock_rep_hours,
        case
            when r.handover_at is not null and r.first_follow_up_at is null
                then case r.follow_up_clock
                    when 'business' then e.end_business_hours - r.handover_business_hours
                    else (epoch(e.data_end_at) - epoch(r.handover_at)) / 3600
                end
        end as hours_waiting
    from readings as r
    inner join end_reading as e on e.version = r.agreement_version
),

exits as (
    select
        *,
        greatest(lost_at, discarded_at, recycled_at) as last_exit_at,
        greatest(mql_at, sal_at, sql_at, opportunity_at) as last_stage_at
    from latency
),

disposed as (
    -- Disposition of every MQL at the data's end. Won is final. Otherwise the latest exit
    -- (lost, discarded, recycled; on equal times in that order) stands, unless a stage date
    -- after it shows the lead came back: then it is active at its furthest stage.
    select
        *,
        case
            when entered_mql_at is null then null
            when won_at is not null then 'won'
            when last_exit_at is null or last_stage_at > last_exit_at then 'active'
            when lost_at = last_exit_at then 'lost'
            when discarded_at = last_exit_at then 'discarded'
            else 'recycled'
        end as disposition
    from exits
),

judged as (
    -- Follow-up against the SLA (PRODUCT.md, Follow-up latency and Hand-over). Without any
    -- follow-up data in the export nothing is judged: "no follow-up data", never 0%. A lead
    -- closed (won, lost, discarded, recycled) with no follow-up at all is breached, closed
    -- without follow-up: it is not waiting, so it is never pending or an open breach.
    select
        d.*,
        case
            when d.handover_at is null or not ds.has_follow_up_data then null
            when d.has_negative_follow_up then 'invalid'
            when d.first_follow_up_at is not null
                and d.clock_follow_up_hours <= d.follow_up_target_hours then 'met'
            when d.first_follow_up_at is not null then 'breached'
            when d.disposition <> 'active' then 'breached'
            when d.hours_waiting > d.follow_up_target_hours then 'breached'
            else 'pending'
        end as sla_status
    from disposed as d
    cross join stg_dataset as ds
),

final as (
    select
        lead_key,
        lead_id,
        created_at,
        source,
        campaign,
        owner,
        team,
        score,
        is_mql_by_score,
        mql_at,
        assigned_at,
        sal_at,
        sql_at,
        opportunity_at,
        won_at,
        lost_at,
        discarded_at,
        recycled_at,
        entered_mql_at,
        entered_sal_at,
        entered_sql_at,
        entered_opportunity_at,
        entered_won_at,
        strict_mql_at,
        strict_sal_at,
        strict_sql_at,
        strict_opportunity_at,
        strict_won_at,
        entered_mql_at is not null as is_mql,
        entered_sal_at is not null as is_sal,
        entered_sql_at is not null as is_sql,
        entered_opportunity_at is not null as is_opportunity,
        entered_won_at is not null as is_won,
        is_out_of_order,
        case
            when entered_won_at is not null then 'won'
            when entered_opportunity_at is not null then 'opportunity'
            when entered_sql_at is not null then 'sql'
            when entered_sal_at is not null then 'sal'
            when entered_mql_at is not null then 'mql'
            else 'lead'
        end as furthest_stage,
        case when won_at is not null then coalesce(won_amount, 0) end as won_amount,
        won_at is not null and won_amount is null as is_won_without_amount,
        open_amount,
        n_deals,
        discarded_at is not null as is_discarded,
        -- A discard with no reason is counted as '(no reason given)': a process gap, not a
        -- reason; the flag says so without matching that label.
        discarded_at is not null and discard_reason is null as is_discarded_without_reason,
        case
            when discarded_at is not null then coalesce(discard_reason, '(no reason given)')
        end as discard_reason,
        recycled_at is not null as was_recycled,
        -- Follow-up against the SLA.
        handover_at,
        first_follow_up_at,
        n_activities,
        n_activities_before_handover,
        last_activity_at,
        has_negative_follow_up,
        case when not has_negative_follow_up then follow_up_calendar_hours end
            as follow_up_calendar_hours,
        case when not has_negative_follow_up then clock_follow_up_hours end as follow_up_hours,
        case
            when not has_negative_follow_up and assigned_at is not null
                then clock_routing_hours
        end as routing_hours,
        case
            when not has_negative_follow_up and assigned_at is not null then clock_rep_hours
        end as rep_hours,
        -- Hours waiting count only while the lead is still active: a closed lead waits no more.
        case when sla_status is not null and disposition = 'active' then hours_waiting end
            as hours_waiting,
        sla_status,
        -- The agreement version that judged the lead (agreement_versions), and its target.
        agreement_version,
        follow_up_target_hours,
        -- What kind of breach: followed up late; open (still active, no follow-up yet: the
        -- leads to act on); or closed without follow-up.
        case
            when sla_status is distinct from 'breached' then null
            when first_follow_up_at is not null then 'followed up late'
            when disposition = 'active' then 'open'
            else 'closed without follow-up'
        end as breach,
        coalesce(
            sla_status = 'breached' and first_follow_up_at is null and disposition = 'active', false
        ) as is_open_breach,
        case
            when sla_status is null or has_negative_follow_up then null
            when clock_follow_up_hours > follow_up_target_hours
                then clock_follow_up_hours - follow_up_target_hours
            when first_follow_up_at is null and disposition = 'active'
                and hours_waiting > follow_up_target_hours
                then hours_waiting - follow_up_target_hours
        end as hours_overdue,
        disposition,
        disposition = 'active' as is_active,
        disposition = 'lost' as is_lost,
        -- A deal closing is a change too: a lead's second won deal is revenue of its month.
        greatest(
            created_at, mql_at, sal_at, sql_at, opportunity_at, won_at, lost_at, discarded_at,
            recycled_at, last_deal_closed_at
        ) as last_stage_change_at,
        (epoch(data_end_at) - epoch(coalesce(last_activity_at, handover_at))) / 86400
            as days_without_activity,
        -- Slipping through the cracks: still active, and no sales activity (or, without any, no
        -- hand-over) for longer than the agreement's stale_after_days.
        coalesce(
            disposition = 'active'
            and (epoch(data_end_at) - epoch(coalesce(last_activity_at, handover_at))) / 86400
            > stale_after_days,
            false
        ) as is_slipping,
        data_end_at,
        -- Local calendar months (the agreement's time zone), computed once here so that
        -- monthly trends do not convert every timestamp on every query.
        cast(date_trunc('month', cast(created_at as date)) as date) as created_month,
        cast(date_trunc('month', cast(entered_mql_at as date)) as date) as entered_mql_month,
        cast(date_trunc('week', cast(entered_mql_at as date)) as date) as entered_mql_week,
        cast(date_trunc('month', cast(strict_mql_at as date)) as date) as strict_mql_month,
        cast(date_trunc('month', cast(mql_at as date)) as date) as mql_month,
        cast(date_trunc('month', cast(sal_at as date)) as date) as sal_month,
        cast(date_trunc('month', cast(sql_at as date)) as date) as sql_month,
        cast(date_trunc('month', cast(opportunity_at as date)) as date) as opportunity_month,
        cast(date_trunc('month', cast(won_at as date)) as date) as won_month,
        -- Days each step took on the lead's own stage dates: both present and in order, else
        -- NULL (a skipped stage has no time; dates out of order are left out).
        case when mql_at >= created_at then (epoch(mql_at) - epoch(created_at)) / 86400 end
            as lead_to_mql_days,
        case when sal_at >= mql_at then (epoch(sal_at) - epoch(mql_at)) / 86400 end
            as mql_to_sal_days,
        case when sql_at >= sal_at then (epoch(sql_at) - epoch(sal_at)) / 86400 end
            as sal_to_sql_days,
        case
            when opportunity_at >= sql_at then (epoch(opportunity_at) - epoch(sql_at)) / 86400
        end as sql_to_opportunity_days,
        case
            when won_at >= opportunity_at then (epoch(won_at) - epoch(opportunity_at)) / 86400
        end as opportunity_to_won_days,
        -- The cycle time of a lost opportunity: from its creation to its loss.
        case
            when disposition = 'lost' and lost_at >= opportunity_at
                then (epoch(lost_at) - epoch(opportunity_at)) / 86400
        end as opportunity_to_lost_days
        {{attribute_columns}}
    from judged
)

select * from final
order by lead_key
