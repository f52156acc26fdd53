-- Question: what in the loaded data breaks the agreed definitions, and how often?
-- Params: none
-- Grain: one row per check (count 0 when the data is clean)
-- Warnings are kept data that a metric treats in a defined way; notes explain counts that
-- otherwise surprise (skipped stages, MQLs by score, activity before hand-over).

with lead_checks as (
    select
        count(*) filter (where is_out_of_order) as n_out_of_order,
        count(*) filter (where has_negative_follow_up) as n_negative_follow_up,
        count(*) filter (where is_won_without_amount) as n_won_without_amount,
        count(*) filter (where is_discarded_without_reason) as n_discard_without_reason,
        count(*) filter (where is_mql_by_score) as n_mql_by_score,
        count(*) filter (
            where (is_mql and mql_at is null)
            or (is_sal and sal_at is null)
            or (is_sql and sql_at is null)
            or (is_opportunity and opportunity_at is null)
        ) as n_skipped_stage,
        count(*) filter (where n_activities_before_handover > 0) as n_activity_before_handover,
        count(*) filter (where source = '(unknown)') as n_unknown_source
    from stg_leads
),

deal_checks as (
    select
        count(*) filter (where status in ('won', 'lost') and closed_at is null)
            as n_closed_without_date,
        count(*) filter (where closed_at < created_at) as n_closed_before_created
    from deals
),

checks as (
    select 'warning' as severity, 'Stage dates out of order' as check_name,
        'Kept; the lead counts in any-order mode and not in strict mode.' as handling,
        n_out_of_order as n_rows
    from lead_checks
    union all
    select 'warning', 'Follow-up before hand-over (negative latency)',
        'Counted as invalid for the SLA, never averaged into latency.', n_negative_follow_up
    from lead_checks
    union all
    select 'warning', 'Won without an amount',
        'Counts as won with 0 revenue.', n_won_without_amount
    from lead_checks
    union all
    select 'warning', 'Discarded without a reason',
        'Shown as "(no reason given)": a process gap.', n_discard_without_reason
    from lead_checks
    union all
    select 'warning', 'Deal won or lost without a close date',
        'Closes at its creation date.', n_closed_without_date
    from deal_checks
    union all
    select 'warning', 'Deal closed before it was created',
        'Kept as exported.', n_closed_before_created
    from deal_checks
    union all
    select 'note', 'Source blank: counted as (unknown)',
        'Shown as its own source.', n_unknown_source
    from lead_checks
    union all
    select 'note', 'MQL by score, not stamped',
        'Counts as an MQL from its creation (agreement''s score threshold).', n_mql_by_score
    from lead_checks
    union all
    select 'note', 'Skipped a stage',
        'Counts as having passed it in any-order mode.', n_skipped_stage
    from lead_checks
    union all
    select 'note', 'Sales activity before hand-over',
        'Not a follow-up: only activity at or after the hand-over counts.',
        n_activity_before_handover
    from lead_checks
),

final as (
    select severity, check_name, handling, n_rows from checks
)

select * from final
