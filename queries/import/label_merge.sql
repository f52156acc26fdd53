-- Question: What does one label column read once its spellings are merged?
-- Params: $from, $to
-- Grain: updates one row per row whose label is a merged spelling
-- Columns: {{table}}, {{column}}
update {{table}} set {{column}} = m.canon
from (
    select
        unnest($from) as v,
        unnest($to) as canon
) as m
where {{table}}.{{column}} = m.v
