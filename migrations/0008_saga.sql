SELECT mallbots_create_service_schema('saga');

-- One row per order's create-order saga, rewritten after every step in the
-- same transaction as the reply's inbox row and the next command's outbox
-- row. data holds what the steps need and learned: customerId, paymentId,
-- items, total, shoppingId, paymentConfirmed, the failure reason and any
-- failed compensations. version counts the replies acted on; a row is only
-- rewritten when it grows.
CREATE TABLE saga.create_order (
    order_id   UUID PRIMARY KEY,
    step       TEXT NOT NULL,
    status     TEXT NOT NULL,
    data       JSONB NOT NULL,
    version    BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
