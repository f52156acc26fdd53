-- Question: how many points did each scoring rule give the MQLs that converted, and those that did not?
-- Params: $fit_rule_names, $engagement_rule_names, $periods, $sources, $campaigns, $owners,
--         $teams, $attribute_pairs, $view, $strict, $scan_start_at, $scan_end_at
-- Grain: one row per outcome ('sql', 'won') × rule of the agreement, fit rules first, in its order
-- Uses: stages_in_period
-- Columns: {{group_1}}, {{group_2}}
-- The MQLs are the period's leads that reached MQL by the data's end; converted means they
-- reached SQL (or won) by then. A rule's points are those it gave before the caps, as of the
-- lead's hand-over (stg_lead_score_rules). points_per_* average over every MQL of the group,
-- those the rule gave nothing counting 0; n_*_with_points counts those it gave points to. A rule
-- that predicts conversion gives more points per converted MQL than per MQL that did not convert.

with rules as (
    select
        'fit' as rule_type,
        unnest(range(1, len(cast($fit_rule_names as varchar[])) + 1)) as rule_no,
        unnest(cast($fit_rule_names as varchar[])) as rule
    union all
    select
        'engagement',
        unnest(range(1, len(cast($engagement_rule_names as varchar[])) + 1)),
        unnest(cast($engagement_rule_names as varchar[]))
),

mqls as (
    select distinct lead_key, has_sql, has_won
    from stages_in_period
    where n_lead = 1 and has_mql
),

outcomes as (
    select 'sql' as outcome, lead_key, has_sql as converted from mqls
    union all
    select 'won' as outcome, lead_key, has_won as converted from mqls
),

points as (
    select
        o.outcome,
        r.rule_type,
        r.rule_no,
        r.rule,
        o.converted,
        coalesce(p.points, 0) as points,
        p.points is not null as has_points
    from outcomes as o
    cross join rules as r
    left join stg_lead_score_rules as p
        on p.lead_key = o.lead_key and p.rule_type = r.rule_type and p.rule_no = r.rule_no
),

final as (
    select
        outcome,
        rule_type,
        rule_no,
        rule,
        count(*) filter (where converted) as n_converted,
        count(*) filter (where converted and has_points) as n_converted_with_points,
        avg(points) filter (where converted) as points_per_converted,
        count(*) filter (where not converted) as n_not_converted,
        count(*) filter (where not converted and has_points) as n_not_converted_with_points,
        avg(points) filter (where not converted) as points_per_not_converted
    from points
    group by outcome, rule_type, rule_no, rule
)

select * from final
order by outcome = 'won', rule_type = 'engagement', rule_no
