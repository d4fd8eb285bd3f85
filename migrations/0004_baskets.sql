SELECT mallbots_create_service_schema('baskets');

-- Local caches filled from the stores and customers events (event-carried
-- state transfer): baskets never calls another service. Each cached field
-- keeps the version of the event that last set it: events reach the cache
-- through one queue per event type, so a stale event can arrive after a
-- fresh one and must not overwrite it.
--
-- A removed product keeps its row (removed, with the version that removed
-- it): a late event about it must find the row and be ignored, not be
-- retried as if the product had not arrived yet.
CREATE TABLE baskets.stores_cache (
    id           UUID PRIMARY KEY,
    name         TEXT NOT NULL,
    name_version BIGINT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE baskets.products_cache (
    id              UUID PRIMARY KEY,
    store_id        UUID NOT NULL,
    name            TEXT NOT NULL,
    name_version    BIGINT NOT NULL,
    price           BIGINT NOT NULL,
    price_version   BIGINT NOT NULL,
    removed         BOOLEAN NOT NULL DEFAULT false,
    removed_version BIGINT NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE baskets.customers_cache (
    id              UUID PRIMARY KEY,
    enabled         BOOLEAN NOT NULL,
    enabled_version BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
