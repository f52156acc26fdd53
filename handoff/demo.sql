-- The demo dataset, generated in DuckDB so that 10 million leads take minutes, not hours.
-- Run by handoff/demo.py one step at a time; each step binds only the $params it names.
-- Randomness is a hash of (row, draw number, seed): the same seed gives the same data on any
-- number of threads. Dimension tables demo_sources, demo_campaigns, demo_reps and demo_values
-- are created by demo.py from its constants before these steps run.

-- step: macros
create or replace temp macro u(i, k) as
    ((hash(i, k, getvariable('seed')) >> 11)::double / 9007199254740992.0);

-- step: macros_normal
-- A standard normal draw (Box-Muller).
create or replace temp macro nrm(i, k) as
    sqrt(-2 * ln(1 - u(i, k))) * cos(2 * pi() * u(i, k + 7919));

-- step: macros_snap
-- Moves a time outside working hours (09:00-17:00 local, Monday to Friday) to the next opening,
-- plus a few minutes, so sales activity looks like people at work.
create or replace temp macro snap_to_work(ts, tz, jitter_minutes) as case
    when isodow(timezone(tz, ts)) <= 5 and hour(timezone(tz, ts)) between 9 and 16 then ts
    else timezone(
        tz,
        date_trunc('day', timezone(tz, ts))
        + case
            when isodow(timezone(tz, ts)) <= 5 and hour(timezone(tz, ts)) < 9 then interval 0 day
            when isodow(timezone(tz, ts)) = 5 then interval 3 day
            when isodow(timezone(tz, ts)) = 6 then interval 2 day
            else interval 1 day
        end
        + interval 9 hour
        + to_minutes(cast(jitter_minutes as bigint))
    )
end;

-- step: base
-- One row per lead: when it came, from where, who owns it, what it is like, and a latent
-- quality q that drives every conversion below. The score sees q only through noise.
create or replace temp table demo_base as
with draws as (
    select
        i,
        -- Volume grows over the window: more leads in later months.
        floor($n_days * pow(u(i, 1), 0.85))::int as day_index,
        u(i, 2) as u_hour,
        u(i, 3) as u_source,
        u(i, 4) as u_campaign,
        u(i, 5) as u_rep,
        u(i, 6) as u_region,
        u(i, 7) as u_industry,
        u(i, 8) as u_size,
        nrm(i, 9) as z_quality
    from range($n_leads) as t(i)
),

placed as (
    select
        d.*,
        $start_date::date + d.day_index as local_day,
        -- Most inquiries arrive in office hours; some at night.
        case
            when d.u_hour < 0.8 then 8 + d.u_hour / 0.8 * 10
            else (d.u_hour - 0.8) / 0.2 * 24
        end as local_hour
    from draws as d
),

weekday_shifted as (
    -- Two thirds of weekend inquiries are really Monday's and Tuesday's.
    select
        p.*,
        case
            when dayofweek(p.local_day) = 6 and u(p.i, 11) < 0.66 then p.local_day + 2
            when dayofweek(p.local_day) = 0 and u(p.i, 11) < 0.66 then p.local_day + 2
            else p.local_day
        end as day_shifted
    from placed as p
)

select
    w.i,
    'L' || lpad(cast(w.i + 1 as varchar), 8, '0') as lead_id,
    timezone($tz, w.day_shifted::timestamp + to_microseconds(cast(w.local_hour * 3.6e9 as bigint)))
        as created_at,
    s.value as source,
    c.campaign,
    r.owner,
    r.team,
    r.latency_median_hours,
    r.latency_sigma,
    r.p_never,
    r.routing_median_hours,
    reg.value as region,
    ind.value as industry,
    sz.value as company_size,
    s.quality * coalesce(c.quality, 1) * sz.quality * ind.quality
        * exp(0.45 * w.z_quality) as q
from weekday_shifted as w
inner join demo_slots as s
    on s.kind = 'source' and s.slot = floor(w.u_source * 1000)
left join demo_campaign_slots as c
    on c.source = s.value and c.slot = floor(w.u_campaign * 100)
inner join demo_slots as reg
    on reg.kind = 'region' and reg.slot = floor(w.u_region * 1000)
inner join demo_reps as r
    on r.region = reg.value and r.slot = floor(w.u_rep * r.n_slots)
inner join demo_slots as ind
    on ind.kind = 'industry' and ind.slot = floor(w.u_industry * 1000)
inner join demo_slots as sz
    on sz.kind = 'company_size' and sz.slot = floor(w.u_size * 1000)
where w.day_shifted < $end_date::date;

-- step: base_scored
-- The agreed score sees quality only through noise; every lead at or past the MQL threshold is
-- handed over, and some below it are too (a demo request, a sales-ready conversation).
create or replace temp table demo_scored as
select
    b.*,
    greatest(0, least(100, round(50 + 22 * ln(b.q) + 9 * nrm(b.i, 20))))::int as score
from demo_base as b;

-- step: funnel
-- The cascade, in hours after creation. Each stage happens with a probability that rises with
-- quality; acceptance also falls with slow follow-up, which the follow-up page can then show.
create or replace temp table demo_funnel as
with scored as (
    select
        b.*,
        b.score >= $score_threshold or u(b.i, 21) < least(0.9, 0.3 * pow(b.q, 0.9)) as is_mql
    from demo_scored as b
),

handover as (
    select
        s.*,
        -- Form fills on webinars and downloads hand over fast; others after nurturing.
        case
            when s.source in ('Webinar', 'Content download') and u(s.i, 22) < 0.5
                then u(s.i, 23) * 2
            else exp(ln(30) + 1.1 * nrm(s.i, 24))
        end as mql_lag_hours,
        exp(ln(s.routing_median_hours) + 1.0 * nrm(s.i, 25)) as routing_hours,
        u(s.i, 26) < s.p_never as never_followed_up,
        exp(ln(s.latency_median_hours) + s.latency_sigma * nrm(s.i, 27)) as rep_hours
    from scored as s
),

timed as (
    select
        h.*,
        h.created_at + to_microseconds(cast(h.mql_lag_hours * 3.6e9 as bigint)) as m1_at
    from handover as h
    where h.is_mql
),

followed as (
    select
        t.*,
        t.m1_at + to_microseconds(cast(t.routing_hours * 3.6e9 as bigint)) as assigned_at,
        case when not t.never_followed_up then snap_to_work(
            t.m1_at + to_microseconds(cast((t.routing_hours + t.rep_hours) * 3.6e9 as bigint)),
            $tz,
            u(t.i, 28) * 40
        ) end as fu1_at
    from timed as t
),

accepted as (
    select
        f.*,
        epoch(f.fu1_at - f.m1_at) / 3600 as fu1_hours,
        u(f.i, 30) < least(0.97, pow(f.q, 0.35) * case
            when f.fu1_at is null then 0.18
            when epoch(f.fu1_at - f.m1_at) < 3600 then 0.86
            when epoch(f.fu1_at - f.m1_at) < 4 * 3600 then 0.8
            when epoch(f.fu1_at - f.m1_at) < 24 * 3600 then 0.72
            when epoch(f.fu1_at - f.m1_at) < 72 * 3600 then 0.6
            else 0.48
        end) as is_sal,
        u(f.i, 31) as u_reject
    from followed as f
),

rejected as (
    -- Not accepted: mostly discarded, otherwise recycled to nurture; some recycled leads
    -- come back as MQLs and get a second chance.
    select
        a.*,
        not a.is_sal and a.u_reject < 0.68 as is_discarded_early,
        not a.is_sal and a.u_reject >= 0.68 and a.u_reject < 0.9 as is_recycled,
        not a.is_sal and a.u_reject >= 0.68 and a.u_reject < 0.9 and u(a.i, 32) < 0.22
            as is_returned
    from accepted as a
),

second as (
    select
        r.*,
        case when r.is_recycled then coalesce(r.fu1_at, r.m1_at)
            + to_microseconds(cast((10 + 30 * u(r.i, 33)) * 86400e6 as bigint)) end
            as recycled_at,
        case when r.is_returned then coalesce(r.fu1_at, r.m1_at)
            + to_microseconds(cast((50 + 90 * u(r.i, 34)) * 86400e6 as bigint)) end as m2_at
    from rejected as r
),

second_follow as (
    select
        s.*,
        case when s.is_returned then snap_to_work(
            s.m2_at + to_microseconds(cast(s.rep_hours * 3.6e9 as bigint)), $tz, u(s.i, 35) * 40
        ) end as fu2_at,
        s.is_sal or (s.is_returned and u(s.i, 36) < 0.55) as is_accepted
    from second as s
),

stages as (
    select
        s.*,
        coalesce(s.m2_at, s.m1_at) as mql_at,
        case when s.is_accepted then coalesce(s.fu2_at, s.fu1_at, s.m2_at, s.m1_at)
            + to_microseconds(cast(exp(ln(5) + 0.9 * nrm(s.i, 37)) * 3.6e9 as bigint)) end
            as sal_at,
        s.is_accepted and u(s.i, 38) < least(0.95, 0.6 * pow(s.q, 0.6)) as is_sql,
        u(s.i, 39) < 0.78 as is_opportunity,
        u(s.i, 40) < least(0.85, 0.34 * pow(s.q, 0.45)) as is_won
    from second_follow as s
),

later as (
    select
        s.*,
        case when s.is_sql then s.sal_at
            + to_microseconds(cast(exp(ln(120) + 0.8 * nrm(s.i, 41)) * 3.6e9 as bigint)) end
            as sql_at
    from stages as s
),

deals as (
    select
        l.*,
        case when l.is_sql and l.is_opportunity then l.sql_at
            + to_microseconds(cast(exp(ln(96) + 0.7 * nrm(l.i, 42)) * 3.6e9 as bigint)) end
            as opportunity_at
    from later as l
)

select
    d.*,
    case when d.opportunity_at is not null then d.opportunity_at
        + to_microseconds(cast(exp(ln(45) + 0.55 * nrm(d.i, 43)) * 86400e6 as bigint)) end
        as close_at,
    -- Deal size grows with the company.
    round(d.size_amount * exp(0.5 * nrm(d.i, 44)), -2) as deal_amount
from (
    select dl.*, sz.amount as size_amount
    from deals as dl
    inner join demo_values as sz on sz.kind = 'company_size' and sz.value = dl.company_size
) as d;

-- step: leads
-- What the CRM export shows at the data's end: nothing after $end_at, a few skipped or
-- out-of-order stamps, some MQLs never stamped (the score rule catches them), discard reasons
-- sometimes missing.
create or replace temp table demo_leads as
with outcome as (
    select
        f.*,
        -- Discarded after acceptance: sales looked and said no.
        f.is_accepted and not f.is_sql and u(f.i, 50) < 0.5 as is_discarded_late,
        f.is_sql and not f.is_opportunity and u(f.i, 51) < 0.6 as is_lost_early
    from demo_funnel as f
),

stamped as (
    select
        o.*,
        case
            when o.is_discarded_early then coalesce(o.fu1_at, o.m1_at)
                + to_microseconds(cast(exp(ln(30) + 1.0 * nrm(o.i, 52)) * 3.6e9 as bigint))
            when o.is_discarded_late then o.sal_at
                + to_microseconds(cast((3 + 20 * u(o.i, 53)) * 86400e6 as bigint))
        end as discarded_at,
        case when o.is_lost_early then o.sql_at
            + to_microseconds(cast((20 + 40 * u(o.i, 54)) * 86400e6 as bigint)) end as lost_at,
        u(o.i, 55) as u_reason,
        u(o.i, 56) as u_stamp
    from outcome as o
),

reasons as (
    select
        s.*,
        case
            when s.discarded_at is null then null
            -- A quarter of discards carry no reason: the process gap the page calls out.
            when s.u_reason < 0.24 then null
            when s.is_discarded_late then
                case when s.u_reason < 0.6 then 'No budget' when s.u_reason < 0.8
                    then 'Not a fit' else 'Timing: not buying this year' end
            when s.source = 'Trade show' and s.u_reason < 0.7 then 'Bad contact data'
            when s.source = 'Content download' and s.u_reason < 0.65 then 'Student or job seeker'
            when s.source = 'Paid social' and s.u_reason < 0.6 then 'Not decision maker'
            when s.u_reason < 0.45 then 'Not decision maker'
            when s.u_reason < 0.6 then 'Bad contact data'
            when s.u_reason < 0.72 then 'Competitor'
            when s.u_reason < 0.85 then 'Duplicate'
            else 'Wrong region'
        end as discard_reason
    from stamped as s
)

select
    b.lead_id,
    b.created_at,
    -- A few leads lose their source on the way through the integration.
    case when u(b.i, 57) < 0.004 then null else b.source end as source,
    b.campaign,
    b.owner,
    b.team,
    b.score,
    -- MQLs scored past the threshold are sometimes never stamped; stages also get skipped.
    case
        when r.mql_at > $end_at then null
        when b.score >= $score_threshold and r.m2_at is null and r.u_stamp < 0.04 then null
        else r.mql_at
    end as mql_at,
    case when r.assigned_at <= $end_at and r.m2_at is null then r.assigned_at end as assigned_at,
    case
        when r.sal_at > $end_at then null
        when r.sql_at <= $end_at and r.u_stamp > 0.96 then null
        -- Out of order: accepted stamped after it was qualified.
        when r.sql_at <= $end_at and r.u_stamp between 0.955 and 0.96
            then r.sql_at + interval 1 day
        else r.sal_at
    end as sal_at,
    case when r.sql_at <= $end_at then r.sql_at end as sql_at,
    case when r.lost_at <= $end_at then r.lost_at end as lost_at,
    case when r.discarded_at <= $end_at then r.discarded_at end as discarded_at,
    case when r.discarded_at <= $end_at then r.discard_reason end as discard_reason,
    case when r.recycled_at <= $end_at then r.recycled_at end as recycled_at,
    b.region,
    b.industry,
    b.company_size,
    b.source as base_source,
    b.i,
    r.fu1_at,
    r.fu2_at,
    r.m1_at,
    r.m2_at,
    r.opportunity_at,
    r.close_at,
    r.is_won,
    r.deal_amount
from demo_scored as b
left join reasons as r on r.i = b.i
where b.created_at <= $end_at;

-- step: deals
-- One deal per opportunity; a few won customers buy again later.
create or replace temp table demo_deals as
with firsts as (
    select
        'D' || lpad(cast(l.i + 1 as varchar), 8, '0') as deal_id,
        l.lead_id,
        l.opportunity_at as created_at,
        case when l.close_at <= $end_at then l.close_at end as closed_at,
        case
            when l.close_at > $end_at then 'open'
            when l.is_won then 'won'
            else 'lost'
        end as status,
        l.deal_amount as amount,
        l.i
    from demo_leads as l
    where l.opportunity_at <= $end_at
),

expansions as (
    select
        'D' || lpad(cast(f.i + 1 as varchar), 8, '0') || '-2' as deal_id,
        f.lead_id,
        f.closed_at + to_microseconds(cast((60 + 120 * u(f.i, 60)) * 86400e6 as bigint))
            as created_at,
        f.i
    from firsts as f
    where f.status = 'won' and u(f.i, 61) < 0.08
)

select deal_id, lead_id, created_at, closed_at, status, amount from firsts
union all
select
    e.deal_id,
    e.lead_id,
    e.created_at,
    case when e.created_at + interval 40 day <= $end_at then e.created_at + interval 40 day end,
    case
        when e.created_at + interval 40 day > $end_at then 'open'
        when u(e.i, 62) < 0.6 then 'won'
        else 'lost'
    end,
    round(5000 + 20000 * u(e.i, 63), -2)
from expansions as e
where e.created_at <= $end_at;

-- step: activities
-- Sales follow-up: the first touch after hand-over, more while the lead is worked, and a few
-- calls before the hand-over that must not count as follow-up.
create or replace temp table demo_activities as
with firsts as (
    select lead_id, fu1_at as activity_at, owner as rep, i, 1 as k
    from demo_leads where fu1_at is not null
    union all
    select lead_id, fu2_at, owner, i, 2 from demo_leads where fu2_at is not null
    union all
    select lead_id, created_at + interval 2 hour, owner, i, 3
    from demo_leads where m1_at is not null and u(i, 70) < 0.04
),

more as (
    select
        f.lead_id,
        snap_to_work(
            f.activity_at + to_microseconds(cast((1 + 12 * u(f.i, 71 + n)) * 86400e6 as bigint)),
            $tz,
            u(f.i, 90 + n) * 200
        ) as activity_at,
        f.rep,
        f.i,
        10 + n as k
    from (
        select f.*, unnest(range(cast(floor(u(f.i, 80) * 4) as bigint))) as n
        from firsts as f
        where f.k = 1
    ) as f
)

select
    a.lead_id,
    a.activity_at,
    a.rep,
    case
        when u(a.i, 100 + a.k) < 0.45 then 'call'
        when u(a.i, 100 + a.k) < 0.85 then 'email'
        else 'meeting'
    end as activity_type
from (select * from firsts union all select * from more) as a
where a.activity_at <= $end_at;

-- step: touches
-- Marketing touchpoints: the lead-creation touch in the lead's own channel and campaign, earlier
-- anonymous touches, and nurture touches after; $touches_per_lead on average.
create or replace temp table demo_touches as
with counts as (
    select
        l.i,
        l.lead_id,
        l.created_at,
        l.base_source as lead_channel,
        l.campaign as lead_campaign,
        1 + floor(u(l.i, 200) * (2 * $touches_per_lead - 1))::bigint as n_touches
    from demo_leads as l
),

expanded as (
    select c.*, unnest(range(c.n_touches)) as j
    from counts as c
),

placed as (
    select
        e.lead_id,
        case
            when e.j = 0 then e.created_at
            else e.created_at
                + to_microseconds(cast((u(e.i, 300 + e.j) - 0.35) * 90 * 86400e6 as bigint))
        end as touched_at,
        e.j,
        e.lead_channel,
        e.lead_campaign,
        floor(u(e.i, 400 + e.j) * 1000)::int as slot,
        u(e.i, 500 + e.j) as u_same
    from expanded as e
)

select
    p.lead_id,
    p.touched_at,
    case when p.j = 0 or p.u_same < 0.3 then p.lead_channel else s.value end as channel,
    case
        when p.j = 0 or p.u_same < 0.3 then p.lead_campaign
        else c.campaign
    end as campaign,
    case
        when p.j = 0 then 'form fill'
        when p.u_same < 0.55 then 'email click'
        when p.u_same < 0.8 then 'page visit'
        else 'ad click'
    end as touch_type
from placed as p
inner join demo_slots as s on s.kind = 'touch_channel' and s.slot = p.slot
left join demo_campaign_slots as c on c.source = s.value and c.slot = p.slot % 100
where p.touched_at <= $end_at;

-- step: spend
-- Monthly cost per campaign that buys leads, in proportion to the leads it brought, plus a
-- brand campaign that spends without bringing leads and a partner programme paid per month.
create or replace temp table demo_spend as
with monthly as (
    select
        strftime(timezone($tz, l.created_at), '%Y-%m') as month,
        l.source,
        l.campaign,
        count(*) as n_leads
    from demo_leads as l
    where l.campaign is not null
    group by all
)

select
    m.month,
    m.source,
    m.campaign,
    round(m.n_leads * c.cost_per_lead * (0.8 + 0.4 * u(hash(m.month, m.campaign), 600)), 2) as cost
from monthly as m
inner join demo_campaigns as c on c.campaign = m.campaign
where c.cost_per_lead > 0
union all
select months.month, 'Paid social', 'Brand awareness: podcast sponsorship', 4000
from (select distinct month from monthly) as months
union all
select months.month, 'Partner', null, 2500
from (select distinct month from monthly) as months;
