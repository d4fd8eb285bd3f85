SELECT mallbots_create_service_schema('payments');

-- Payment authorizations. order_id is set when the create-order saga
-- confirms the payment for an order, and kept when it is voided.
CREATE TABLE payments.payments (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    status      TEXT NOT NULL CHECK (status IN ('authorized', 'confirmed', 'voided')),
    order_id    UUID,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'authorized') = (order_id IS NULL))
);

-- At most one invoice per order: the ID is the one orders announced in
-- OrderReadied, and a second invoice for the same order is refused.
CREATE TABLE payments.invoices (
    id         UUID PRIMARY KEY,
    order_id   UUID NOT NULL UNIQUE,
    payment_id UUID NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    status     TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'canceled')),
    version    BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
