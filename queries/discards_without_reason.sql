-- Question: which MQLs of the period did sales discard without saying why?
-- Params: $limit, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per MQL discarded with no reason, latest discard first (at most $limit;
-- n_total is the full count)
-- Uses: mql_cohort
-- Columns: {{group_1}}, {{group_2}}
-- The agreement asks sales to record a reason with every discard: these are the ones to ask
-- about in the feedback session.

with unexplained as (
    select *
    from mql_cohort
    where is_discarded_without_reason
),

final as (
    select
        lead_id,
        owner,
        team,
        source,
        campaign,
        handover_at,
        discarded_at,
        account,
        count(*) over () as n_total
    from unexplained
)

select * from final
order by discarded_at desc, lead_id
limit $limit
