SELECT mallbots_create_service_schema('search');

-- Customer names, from CustomerRegistered. An order can arrive before its
-- customer: it then inserts a placeholder row (name '', version 0) that the
-- registration fills, and the row doubles as the lock that keeps an order's
-- insert and its customer's registration from missing each other.
CREATE TABLE search.customers (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    name_version BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The denormalised orders read model: everything a search filters on or
-- shows, in one row per order. items is the OrderCreated items as JSON
-- (storeId, storeName, productId, productName, price in cents, quantity);
-- store_ids and product_ids repeat their IDs as arrays for indexed overlap
-- filters. status_rank only grows (see domain/orderstatus): a stale status
-- event finds a higher rank and changes nothing. created_at and updated_at
-- are the times of the events (from their UUIDv7 IDs), so a read model
-- rebuilt from the event log keeps the original dates.
CREATE TABLE search.orders (
    order_id      UUID PRIMARY KEY,
    customer_id   UUID NOT NULL,
    customer_name TEXT NOT NULL DEFAULT '',
    items         JSONB NOT NULL,
    store_ids     UUID[] NOT NULL,
    product_ids   UUID[] NOT NULL,
    total         BIGINT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'ready', 'completed', 'rejected', 'canceled')),
    status_rank   SMALLINT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- Keyset paging runs newest first on (created_at, order_id); each index
-- serves one common filter in that order.
CREATE INDEX orders_newest ON search.orders (created_at DESC, order_id DESC);
CREATE INDEX orders_by_customer ON search.orders (customer_id, created_at DESC, order_id DESC);
CREATE INDEX orders_by_status ON search.orders (status, created_at DESC, order_id DESC);
CREATE INDEX orders_by_store ON search.orders USING GIN (store_ids);
CREATE INDEX orders_by_product ON search.orders USING GIN (product_ids);
