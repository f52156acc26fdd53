-- Question: what is Handoff's score of each lead as of its hand-over: fit, engagement, total, grade?
-- Params: $scoring_versions, $fit_caps, $engagement_caps, $fit_grade_versions, $fit_grades,
--   $fit_grade_minimums, $engagement_grade_versions, $engagement_grades,
--   $engagement_grade_minimums
-- Grain: one row per lead judged by a version with a [scoring] section (none without one)
-- Fit and engagement points are the sums of their rules' points (stg_lead_score_rules), each
-- capped at its cap when the agreement sets one; the score is capped fit + capped engagement,
-- rounded to whole points (half away from zero); the parts keep their fractions.
-- A grade is the one with the highest minimum the points reach, none below every minimum; with
-- fit and engagement grades both, the lead's grade is the two side by side (A1), none when
-- either is missing. The CRM's own score stays beside it, untouched. Caps and grades are those
-- of the agreement version in force at the lead's moment (agreement_versions); $fit_caps and
-- $engagement_caps hold one entry per version (null: no cap).

with rule_points as (
    select
        lead_key,
        sum(points) filter (where rule_type = 'fit') as fit_points,
        sum(points) filter (where rule_type = 'engagement') as engagement_points
    from stg_lead_score_rules
    group by lead_key
),

fit_grades as (
    select
        unnest(cast($fit_grade_versions as integer[])) as version,
        unnest(cast($fit_grades as varchar[])) as grade,
        unnest(cast($fit_grade_minimums as double[])) as minimum
),

engagement_grades as (
    select
        unnest(cast($engagement_grade_versions as integer[])) as version,
        unnest(cast($engagement_grades as varchar[])) as grade,
        unnest(cast($engagement_grade_minimums as double[])) as minimum
),

moments as (
    select
        lead_key,
        lead_id,
        coalesce(entered_mql_at, data_end_at) as scored_at,
        entered_mql_at is not null as is_scored_at_handover,
        score as crm_score
    from stg_leads
),

summed as (
    select
        m.lead_key,
        m.lead_id,
        v.version,
        m.scored_at,
        m.is_scored_at_handover,
        coalesce(r.fit_points, 0) as fit_points_uncapped,
        coalesce(r.engagement_points, 0) as engagement_points_uncapped,
        m.crm_score
    from moments as m
    asof inner join agreement_versions as v on m.scored_at >= v.starts_at
    left join rule_points as r on r.lead_key = m.lead_key
    where list_contains(cast($scoring_versions as integer[]), v.version)
),

capped as (
    select
        *,
        least(
            fit_points_uncapped,
            coalesce(cast($fit_caps as double[])[version], fit_points_uncapped)
        ) as fit_points,
        least(
            engagement_points_uncapped,
            coalesce(cast($engagement_caps as double[])[version], engagement_points_uncapped)
        ) as engagement_points
    from summed
),

graded as (
    select
        c.*,
        -- Whole points, as a CRM's score: a threshold or a band then splits no hairs.
        round(c.fit_points + c.engagement_points) as handoff_score,
        (
            select arg_max(g.grade, g.minimum) from fit_grades as g
            where g.version = c.version and g.minimum <= c.fit_points
        ) as fit_grade,
        (
            select arg_max(g.grade, g.minimum) from engagement_grades as g
            where g.version = c.version and g.minimum <= c.engagement_points
        ) as engagement_grade,
        exists (select 1 from fit_grades as g where g.version = c.version) as has_fit_grades,
        exists (select 1 from engagement_grades as g where g.version = c.version)
            as has_engagement_grades
    from capped as c
),

final as (
    select
        lead_key,
        lead_id,
        scored_at,
        is_scored_at_handover,
        fit_points_uncapped,
        fit_points,
        engagement_points_uncapped,
        engagement_points,
        handoff_score,
        fit_grade,
        engagement_grade,
        case
            when has_fit_grades and has_engagement_grades then fit_grade || engagement_grade
            else coalesce(fit_grade, engagement_grade)
        end as grade,
        crm_score,
        version as agreement_version
    from graded
)

select * from final
order by lead_key
