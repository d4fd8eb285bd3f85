SELECT mallbots_create_service_schema('notifications');

-- Local copy of the customers, filled from the customers events (event-
-- carried state transfer): notifications never calls another service. Each
-- field keeps the version of the event that last set it, because the events
-- arrive through one queue per event type and a stale one can overtake a
-- fresh one.
CREATE TABLE notifications.customers (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    name_version BIGINT NOT NULL,
    sms_number   TEXT NOT NULL,
    sms_version  BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The orders the service has told a customer about, and the furthest step
-- told (the rank of the order status it announced). A status event for an
-- order not here yet waits (is retried) for its OrderCreated; one whose rank
-- is not above last_rank is stale and tells the customer nothing.
CREATE TABLE notifications.orders (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    last_kind   TEXT NOT NULL,
    last_rank   SMALLINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every notification sent, as the default sender records it. One per order
-- and kind, whatever the deliveries: the unique key makes a redelivery under
-- another message ID (which the inbox cannot recognise) a no-op.
CREATE TABLE notifications.notifications (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    order_id    UUID NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('created', 'ready', 'canceled', 'completed')),
    sms_number  TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind)
);

CREATE INDEX notifications_by_customer ON notifications.notifications (customer_id, created_at DESC, id DESC);
