with source as (
    select * from {{ source('shop', 'orders') }}
)

select
    id as order_id,
    customer_id,
    status::text as status,
    amount_cents,
    currency,
    created_at as ordered_at
from source
