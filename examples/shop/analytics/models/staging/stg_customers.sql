select
    id as customer_id,
    email as customer_email,
    full_name,
    created_at as signed_up_at
from {{ source('shop', 'customers') }}
