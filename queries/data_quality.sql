-- Question: which data-quality checks fire, how often, and how is each case handled?
-- Params: none
-- Grain: one row per check

with final as (
    select severity, check_name, handling, n_rows from stg_data_quality
)

select * from final
order by case severity when 'warning' then 1 else 2 end, n_rows desc, check_name
