SELECT mallbots_create_service_schema('depot');

-- The stores as the depot last heard of them (StoreCreated, StoreRebranded),
-- to give each stop its store's name and location. The name keeps the
-- version of the event that last set it, so a stale event arriving late
-- cannot overwrite a fresh one. The location only comes with StoreCreated:
-- it is NULL while a StoreRebranded that overtook it is all the depot has,
-- and such a store does not count as known yet.
CREATE TABLE depot.stores_cache (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    name_version BIGINT NOT NULL,
    location     TEXT,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE depot.bots (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('idle', 'busy')),
    shopping_id UUID,
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'busy') = (shopping_id IS NOT NULL))
);

-- One shopping list per order (order_id UNIQUE): a second CreateShoppingList
-- for the order finds the first list. The stops are part of the aggregate and
-- always read and written with it, so they live in the row as JSON.
CREATE TABLE depot.shopping_lists (
    id         UUID PRIMARY KEY,
    order_id   UUID NOT NULL UNIQUE,
    status     TEXT NOT NULL CHECK (status IN ('pending', 'available', 'assigned', 'completed', 'canceled')),
    bot_id     UUID REFERENCES depot.bots (id),
    stops      JSONB NOT NULL,
    version    BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status NOT IN ('assigned', 'completed') OR bot_id IS NOT NULL)
);

ALTER TABLE depot.bots ADD FOREIGN KEY (shopping_id) REFERENCES depot.shopping_lists (id);

-- Claims take the oldest available list; staff screens list by status.
CREATE INDEX shopping_lists_status ON depot.shopping_lists (status, created_at, id);

-- A backstop under the row locks: a bot shops one list at a time.
CREATE UNIQUE INDEX shopping_lists_one_per_bot ON depot.shopping_lists (bot_id) WHERE status = 'assigned';
