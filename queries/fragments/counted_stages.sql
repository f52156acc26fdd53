-- Question: when does each scoped lead count at each stage, for the view and order mode chosen?
-- Params: $view, $strict, $scan_start_at, $scan_end_at, $sources, $campaigns, $owners, $teams,
--         $attribute_pairs
-- Grain: one row per scoped lead
-- Uses: scoped_leads
-- In any order ($strict false) a stage is reached with its date or any later one (entered_*);
-- in strict order only with every stage date up to it present and in order (strict_*).
-- <stage>_counts_at is when the lead counts at that stage: in flow view when it entered the
-- stage; in the cohort views ('created', 'handover') at the cohort date, if it reached the stage
-- by the data's end. A query keeps the rows whose <stage>_counts_at falls in its period.
-- lost_counts_at places a closed-lost opportunity (reached opportunity, disposition lost) the
-- same way: at its loss in flow view, at the cohort date otherwise.
-- $scan_start_at and $scan_end_at bound every period the query looks at; they only skip leads
-- that cannot count: created after the window; for a creation cohort, created before it;
-- otherwise, with no stage date in or after it (every stage entry is at or before the lead's
-- last stage change). Leads are sorted by creation, so the scan skips most of the table.

with moded as (
    select
        l.*,
        case when $strict then l.strict_mql_at else l.entered_mql_at end as mode_mql_at,
        case when $strict then l.strict_sal_at else l.entered_sal_at end as mode_sal_at,
        case when $strict then l.strict_sql_at else l.entered_sql_at end as mode_sql_at,
        case
            when $strict then l.strict_opportunity_at else l.entered_opportunity_at
        end as mode_opportunity_at,
        case when $strict then l.strict_won_at else l.entered_won_at end as mode_won_at
    from scoped_leads as l
    where
        (l.created_at < $scan_end_at or l.is_out_of_order)
        and ($view <> 'created' or l.created_at >= $scan_start_at)
        and ($view = 'created' or l.last_stage_change_at >= $scan_start_at)
),

cohorted as (
    select
        *,
        case $view when 'handover' then mode_mql_at else created_at end as cohort_at,
        case
            when $view <> 'handover' then created_month
            when $strict then strict_mql_month
            else entered_mql_month
        end as cohort_month
    from moded
)

select
    *,
    case when $view = 'flow' then created_at else cohort_at end as lead_counts_at,
    case
        when $view = 'flow' then mode_mql_at when mode_mql_at is not null then cohort_at
    end as mql_counts_at,
    case
        when $view = 'flow' then mode_sal_at when mode_sal_at is not null then cohort_at
    end as sal_counts_at,
    case
        when $view = 'flow' then mode_sql_at when mode_sql_at is not null then cohort_at
    end as sql_counts_at,
    case
        when $view = 'flow' then mode_opportunity_at
        when mode_opportunity_at is not null then cohort_at
    end as opportunity_counts_at,
    case
        when $view = 'flow' then mode_won_at when mode_won_at is not null then cohort_at
    end as won_counts_at,
    case
        when mode_opportunity_at is null or not is_lost then null
        when $view = 'flow' then lost_at
        else cohort_at
    end as lost_counts_at
from cohorted
