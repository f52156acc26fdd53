-- Question: how many MQLs did each source hand over in each period?
-- Params: none
-- Grain: one row per period listed × source with a hand-over in it
-- Uses: periods, handed_over
-- Marketing's volume goal per source counts hand-overs, whatever the view (as
-- follow_up_summary's n_handed_over does overall).

with final as (
    select
        period_index,
        source,
        count(*) as n_handed_over
    from handed_over
    group by period_index, source
)

select * from final
order by period_index, source
