SELECT mallbots_create_service_schema('stores');

CREATE TABLE stores.stores (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL,
    location      TEXT NOT NULL,
    participating BOOLEAN NOT NULL DEFAULT false,
    version       BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE stores.products (
    id          UUID PRIMARY KEY,
    store_id    UUID NOT NULL REFERENCES stores.stores (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    sku         TEXT NOT NULL DEFAULT '',
    price       BIGINT NOT NULL CHECK (price > 0),
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX products_store_id ON stores.products (store_id);
