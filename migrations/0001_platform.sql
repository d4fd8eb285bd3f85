-- The platform every service schema is built from: a Watermill outbox (the
-- watermill-sql PostgreSQL schema, which doubles as the retained event log),
-- its relay offsets, an inbox for idempotent consumers, and a NOTIFY trigger
-- that wakes the outbox relay as soon as a transaction commits.

CREATE OR REPLACE FUNCTION mallbots_notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Delivered at commit, once per transaction and channel/payload pair.
    PERFORM pg_notify('mallbots_outbox', TG_ARGV[0]);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION mallbots_create_service_schema(svc text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', svc);

    -- Columns and key exactly as watermill-sql's DefaultPostgreSQLSchema
    -- creates them; created here because a publisher bound to a transaction
    -- must not create tables.
    EXECUTE format($f$
        CREATE TABLE IF NOT EXISTS %I.watermill_outbox (
            "offset"         BIGSERIAL,
            "uuid"           VARCHAR(36) NOT NULL,
            "created_at"     TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
            "payload"        JSON DEFAULT NULL,
            "metadata"       JSON DEFAULT NULL,
            "transaction_id" xid8 NOT NULL,
            PRIMARY KEY ("transaction_id", "offset")
        )$f$, svc);
    EXECUTE format('CREATE INDEX IF NOT EXISTS watermill_outbox_created_at ON %I.watermill_outbox (created_at)', svc);

    -- watermill-sql's DefaultPostgreSQLOffsetsAdapter table.
    EXECUTE format($f$
        CREATE TABLE IF NOT EXISTS %I.watermill_outbox_offsets (
            consumer_group                VARCHAR(255) NOT NULL,
            offset_acked                  BIGINT,
            last_processed_transaction_id xid8 NOT NULL,
            PRIMARY KEY (consumer_group)
        )$f$, svc);

    EXECUTE format($f$
        CREATE TABLE IF NOT EXISTS %I.inbox (
            handler      TEXT NOT NULL,
            message_id   TEXT NOT NULL,
            processed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (handler, message_id)
        )$f$, svc);
    EXECUTE format('CREATE INDEX IF NOT EXISTS inbox_processed_at ON %I.inbox (processed_at)', svc);

    EXECUTE format('DROP TRIGGER IF EXISTS outbox_notify ON %I.watermill_outbox', svc);
    EXECUTE format('CREATE TRIGGER outbox_notify AFTER INSERT ON %I.watermill_outbox
        FOR EACH STATEMENT EXECUTE FUNCTION mallbots_notify_outbox(%L)', svc, svc);
END
$$;
