-- Question: how many MQLs did each source hand over in the period and the one before?
-- Params: none
-- Grain: one row per period ('current', 'previous') × source
-- Uses: periods, handed_over
-- Marketing's volume goal per source counts hand-overs, whatever the view (as the scorecard's
-- n_handed_over does overall).

with final as (
    select
        p.period,
        h.source,
        count(*) as n_handed_over
    from periods as p
    inner join handed_over as h on h.handover_at >= p.start_at and h.handover_at < p.end_at
    group by p.period, h.source
)

select * from final
order by period, source
