-- Question: how many points did each of the agreement's scoring rules give each lead, as of its hand-over?
-- Params: $fit_versions, $fit_rule_numbers, $fit_rules, $fit_attributes, $fit_values,
--   $fit_lows, $fit_highs, $fit_points, $engagement_versions, $engagement_rule_numbers,
--   $engagement_rules, $engagement_sources, $engagement_types, $engagement_points,
--   $engagement_within_days, $engagement_half_lives
-- Grain: one row per lead × rule that gave it points (no rows without a [scoring] section)
-- A lead is scored as of its moment: its hand-over (entered_mql_at: mql_at, the creation of a
-- lead that is an MQL by the CRM's score, or an earlier later-stage date), or, for a lead never
-- handed over, the data's end. Only touches and activities strictly before the moment count:
-- nothing a lead did after its hand-over changes the score it was handed over with. An event's
-- age is the days from it to the moment; with a half-life its points halve every half-life of
-- age. Points are before the caps (stg_lead_scores applies them). Fit rules read the lead's
-- attributes as the export has them (a snapshot: there is no attribute history). A lead is
-- scored by the rules of the agreement version in force at its moment (agreement_versions).

with unversioned_moments as (
    select
        lead_key,
        coalesce(entered_mql_at, data_end_at) as scored_at
    from stg_leads
),

moments as (
    select m.lead_key, m.scored_at, v.version
    from unversioned_moments as m
    asof inner join agreement_versions as v on m.scored_at >= v.starts_at
),

fit_rules as (
    -- The lists are parallel, one entry per rule of each version, in the agreement's order.
    select
        unnest(cast($fit_versions as integer[])) as version,
        unnest(cast($fit_rule_numbers as bigint[])) as rule_no,
        unnest(cast($fit_rules as varchar[])) as rule,
        unnest(cast($fit_attributes as varchar[])) as attribute,
        unnest(cast($fit_values as varchar[][])) as match_values,
        unnest(cast($fit_lows as double[])) as low,
        unnest(cast($fit_highs as double[])) as high,
        unnest(cast($fit_points as double[])) as points
),

engagement_rules as (
    select
        unnest(cast($engagement_versions as integer[])) as version,
        unnest(cast($engagement_rule_numbers as bigint[])) as rule_no,
        unnest(cast($engagement_rules as varchar[])) as rule,
        unnest(cast($engagement_sources as varchar[])) as event_source,
        unnest(cast($engagement_types as varchar[])) as event_type,
        unnest(cast($engagement_points as double[])) as points,
        unnest(cast($engagement_within_days as double[])) as within_days,
        unnest(cast($engagement_half_lives as double[])) as half_life_days
),

lead_values as (
    -- The export's attributes, and the lead columns a fit rule may test.
    select lead_key, attribute, value from lead_attributes
    union all
    select lead_key, 'source', source from stg_leads
    union all
    select lead_key, 'campaign', campaign from stg_leads
    union all
    select lead_key, 'owner', owner from stg_leads
    union all
    select lead_key, 'team', team from stg_leads
),

fit_points as (
    -- A value matches a listed one ignoring case and surrounding spaces (the listed values
    -- come lower-cased and trimmed); a range holds the numbers from low to high, both ends
    -- included, and a value that is not a number is in no range.
    select
        v.lead_key,
        'fit' as rule_type,
        r.rule_no,
        r.rule,
        r.points,
        cast(null as bigint) as n_events
    from fit_rules as r
    inner join lead_values as v on v.attribute = r.attribute
    inner join moments as m on m.lead_key = v.lead_key and m.version = r.version
    where
        case
            when r.match_values is not null
                then list_contains(r.match_values, lower(trim(v.value)))
            else try_cast(trim(v.value) as double) between r.low and r.high
        end
),

events as (
    select lead_key, 'touch' as event_source, lower(trim(touch_type)) as event_type, touched_at as event_at
    from touches
    union all
    select lead_key, 'activity', lower(trim(activity_type)), activity_at
    from activities
),

aged as (
    select
        e.lead_key,
        r.rule_no,
        r.rule,
        r.points,
        r.within_days,
        r.half_life_days,
        (epoch(m.scored_at) - epoch(e.event_at)) / 86400 as age_days
    from engagement_rules as r
    inner join events as e on e.event_source = r.event_source and e.event_type = r.event_type
    inner join moments as m on m.lead_key = e.lead_key and m.version = r.version
    where e.event_at < m.scored_at
),

engagement_points as (
    select
        lead_key,
        'engagement' as rule_type,
        rule_no,
        rule,
        sum(
            case
                when half_life_days is null then points
                else points * pow(0.5, age_days / half_life_days)
            end
        ) as points,
        count(*) as n_events
    from aged
    where within_days is null or age_days <= within_days
    group by lead_key, rule_no, rule
),

final as (
    select * from fit_points
    union all
    select * from engagement_points
)

select * from final
order by lead_key, rule_type desc, rule_no
