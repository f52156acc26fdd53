-- Question: What are the parts of an amount as a CRM writes it (sign, currency, thousands, suffix)?
-- Params: none
-- Grain: a macro over one value
-- One optional sign, before or after the currency; thousands commas; a K/M/B suffix.
create or replace temp macro money_parts(v) as regexp_extract(
    v,
    '^([-+]?)\s*[$€£]?\s*([-+]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(\.[0-9]+)?\s*([KkMmBb]?)$',
    ['sign', 'sign2', 'whole', 'frac', 'suffix']
)
