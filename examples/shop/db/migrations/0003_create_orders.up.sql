CREATE TABLE orders (
    id            BIGSERIAL PRIMARY KEY,
    customer_id   BIGINT NOT NULL REFERENCES customers (id),
    status        order_status NOT NULL DEFAULT 'pending',
    amount_cents  BIGINT NOT NULL CHECK (amount_cents >= 0),
    currency      CHAR(3) NOT NULL DEFAULT 'EUR',
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
