-- Question: which breakdown group (or pair of groups) does each scoped lead belong to?
-- Params: $sources, $campaigns, $owners, $teams, $attribute_pairs, $view, $strict, $scan_start_at,
--         $scan_end_at
-- Grain: one row per scoped lead (counted_stages columns plus group_1, group_2)
-- Uses: counted_stages
-- Columns: {{group_1}}, {{group_2}}
-- The slots hold a lead column (source, campaign, owner, team) or a lead attribute, checked
-- by the runner; group_2 is NULL for a one-way breakdown. A lead with no value for an
-- attribute is in '(blank)'.

select
    s.*,
    {{group_1}} as group_1,
    {{group_2}} as group_2
from counted_stages as s
