SELECT mallbots_create_service_schema('orders');

-- Orders are event sourced: this table is the truth, and an order's state is
-- the left fold of its rows in version order. Appending version n when it
-- exists already fails on the primary key: that is the optimistic
-- concurrency check (a concurrent writer won; the repository re-loads and
-- retries). Rows are never updated or deleted.
--
-- name is the wire name of the event the row is published as
-- ("orders.OrderCreated"); data is the domain event's own fields (what the
-- repository needs to fold it back), not the published payload.
CREATE TABLE orders.events (
    order_id    UUID NOT NULL,
    version     BIGINT NOT NULL CHECK (version > 0),
    name        TEXT NOT NULL,
    data        JSONB NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, version)
);
