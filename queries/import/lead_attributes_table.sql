-- Question: Where are the leads' attributes (an export's columns the contract does not name) kept for filters and breakdowns?
-- Params: none
-- Grain: one row per lead × attribute with a value; empty when made
create or replace table lead_attributes (
    lead_key bigint,
    lead_id varchar,
    attribute varchar,
    value varchar
)
