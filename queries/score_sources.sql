-- Question: which lead scores are there to judge: the CRM's own, Handoff's, or both?
-- Params: none
-- Grain: one row
-- The CRM's score is the export's score column; Handoff's is computed from the agreement's
-- [scoring] rules (stg_lead_scores has rows only when the agreement has that section).

with final as (
    select
        (select count(score) from stg_leads) as n_crm_scored,
        (select count(*) from stg_lead_scores) as n_handoff_scored
)

select
    n_crm_scored,
    n_handoff_scored,
    n_crm_scored > 0 as has_crm_score,
    n_handoff_scored > 0 as has_handoff_score
from final
