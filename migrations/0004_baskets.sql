SELECT mallbots_create_service_schema('baskets');

-- Local caches filled from the stores and customers events (event-carried
-- state transfer): baskets never calls another service. Each cached field
-- keeps the version of the event that last set it: events reach the cache
-- through one queue per event type, so a stale event can arrive after a
-- fresh one and must not overwrite it.
CREATE TABLE baskets.stores_cache (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    name_version BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE baskets.products_cache (
    id            UUID PRIMARY KEY,
    store_id      UUID NOT NULL,
    name          TEXT NOT NULL,
    name_version  BIGINT NOT NULL,
    price         BIGINT NOT NULL,
    price_version BIGINT NOT NULL,
    removed       BOOLEAN NOT NULL DEFAULT false,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE baskets.customers_cache (
    id              UUID PRIMARY KEY,
    enabled         BOOLEAN NOT NULL,
    enabled_version BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
