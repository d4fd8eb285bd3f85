-- Outboxes no longer NOTIFY at commit. PostgreSQL serialises every
-- committing transaction that sent a NOTIFY on one cluster-wide lock, held
-- through the commit's WAL flush, so a trigger on every outbox capped the
-- whole system's commit rate. Relays are now woken in process by the
-- transactions that wrote their rows (messaging.Outbox.Committed), with the
-- poll interval as the safety net.
DO $$
DECLARE
    svc text;
BEGIN
    FOR svc IN SELECT table_schema FROM information_schema.tables WHERE table_name = 'watermill_outbox' LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS outbox_notify ON %I.watermill_outbox', svc);
    END LOOP;
END
$$;

DROP FUNCTION IF EXISTS mallbots_notify_outbox();

-- The schema every service gets, as 0001 made it but without the trigger.
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
END
$$;
