-- Question: which score does each scoped lead of each period have: the CRM's or Handoff's?
-- Params: $score_by, $view, $periods, $sources, $campaigns, $owners, $teams, $attribute_pairs,
--         $strict, $scan_start_at, $scan_end_at
-- Grain: one row per period × scoped lead that counts at some stage in it (stages_in_period)
-- Uses: stages_in_period
-- Columns: {{group_1}}, {{group_2}}
-- $score_by 'crm' keeps the export's own score; 'handoff' puts Handoff's score in its place
-- (stg_lead_scores: the agreement's rules as of the lead's hand-over), NULL without a
-- [scoring] section. The score queries judge whichever it is.

select
    s.* replace (
        case when $score_by = 'handoff' then h.handoff_score else s.score end as score
    )
from stages_in_period as s
left join stg_lead_scores as h on h.lead_key = s.lead_key
