-- Question: how well does the agreed score rank leads that reach SQL, and won, above the rest?
-- Params: $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict,
--         $scan_start_at, $scan_end_at, $score_by
-- Grain: one row per outcome ('sql', 'won')
-- Uses: scored_in_period
-- Columns: {{group_1}}, {{group_2}}
-- The area under the ROC curve: the chance that a lead that converted outscores one that did
-- not, counting a tie as half (Mann-Whitney). 0.5 is no better than chance, 1 is perfect.
-- Scored leads counted as leads in the period; converted means by the data's end.

with scored as (
    select score, has_sql, has_won
    from scored_in_period
    where n_lead = 1 and score is not null
),

outcomes as (
    select 'sql' as outcome, score, has_sql as converted from scored
    union all
    select 'won' as outcome, score, has_won as converted from scored
),

per_score as (
    select
        outcome,
        score,
        count(*) filter (where converted) as n_pos,
        count(*) filter (where not converted) as n_neg
    from outcomes
    group by outcome, score
),

below as (
    -- For each score: negatives scoring lower, and the ties at this score.
    select
        *,
        coalesce(sum(n_neg) over (
            partition by outcome order by score rows between unbounded preceding and 1 preceding
        ), 0) as n_neg_below
    from per_score
),

final as (
    select
        outcome,
        cast(sum(n_pos) as bigint) as n_converted,
        cast(sum(n_neg) as bigint) as n_not_converted,
        case
            when sum(n_pos) > 0 and sum(n_neg) > 0
                then sum(n_pos * (n_neg_below + 0.5 * n_neg)) / (sum(n_pos) * sum(n_neg))
        end as auc
    from below
    group by outcome
)

select * from final
order by outcome
