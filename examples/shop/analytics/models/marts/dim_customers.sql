{{ config(materialized='table') }}

with order_totals as (
    select
        customer_id,
        count(*) as order_count,
        sum(amount) as lifetime_amount
    from {{ ref('orders') }}
    group by customer_id
)

select
    c.customer_id,
    c.customer_email as email,
    c.full_name,
    c.signed_up_at,
    coalesce(t.order_count, 0) as order_count,
    coalesce(t.lifetime_amount, 0) as lifetime_amount
from {{ ref('stg_customers') }} c
left join order_totals t on t.customer_id = c.customer_id
