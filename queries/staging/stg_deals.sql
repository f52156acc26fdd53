-- Question: what do a lead's deals say about its opportunity, win, loss and revenue?
-- Params: none
-- Grain: one row per lead with at least one deal
-- Deals outrank the lead columns they imply: opportunity_at is the first deal created, won_at
-- the first won close, amount the sum of won amounts. A lead counts as lost by its deals only
-- when every deal is closed lost. A won or lost deal without closed_at closes at its creation.
-- last_closed_at is the latest close of any of its deals (a later won deal is still revenue).

with deals_closed as (
    select
        lead_key,
        created_at,
        status,
        amount,
        case when status in ('won', 'lost') then coalesce(closed_at, created_at) end as closed_at
    from deals
),

final as (
    select
        lead_key,
        count(*) as n_deals,
        min(created_at) as first_deal_at,
        min(closed_at) filter (where status = 'won') as first_won_at,
        sum(amount) filter (where status = 'won') as won_amount,
        sum(amount) filter (where status = 'open') as open_amount,
        max(closed_at) as last_closed_at,
        case
            when count(*) filter (where status = 'lost') = count(*)
                then max(closed_at)
        end as all_lost_at
    from deals_closed
    group by lead_key
)

select * from final
