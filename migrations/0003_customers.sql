SELECT mallbots_create_service_schema('customers');

CREATE TABLE customers.customers (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    sms_number TEXT NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT true,
    version    BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
