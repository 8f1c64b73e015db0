{{ config(materialized='table') }}

select
    order_id,
    customer_id,
    status,
    amount_cents / 100.0 as amount,
    currency,
    ordered_at
from {{ ref('stg_orders') }}
where status <> 'cancelled'
