-- Question: What number does a value written as money or a plain number stand for?
-- Params: none
-- Grain: a macro over one value (NULL when it is not a number)
-- `$1,117.10K` is 1117100. `--5` and `-$-5` are not numbers (DuckDB's cast reads `+-5` as -5),
-- and neither is an infinite value.
create or replace temp macro parse_number(v) as case
    when v is null then null
    when regexp_matches(v, '[-+]\s*[-+]') then null
    when try_cast(v as double) is not null
        then case when isfinite(try_cast(v as double)) then try_cast(v as double) end
    when regexp_full_match(
        v, '([-+]\s*[$€£]?|[$€£]?\s*[-+]?)\s*'
           || '([0-9]{1,3}(,[0-9]{3})+|[0-9]*)(\.[0-9]+)?\s*[KkMmBb]?'
    ) and regexp_matches(v, '[0-9]')
        then (case when money_parts(v).sign = '-' or money_parts(v).sign2 = '-'
                   then -1 else 1 end)
             * cast(replace(money_parts(v).whole, ',', '') || money_parts(v).frac
                    as double)
             * case upper(money_parts(v).suffix)
                   when 'K' then 1e3 when 'M' then 1e6 when 'B' then 1e9 else 1 end
end
