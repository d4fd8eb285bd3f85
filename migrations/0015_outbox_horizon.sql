-- The outbox relay's horizon: every outbox row whose transaction ID is below
-- it was committed or rolled back before the current snapshot, so no row
-- below it can still appear and the relay may move past it in order.
--
-- Watermill's rule is pg_snapshot_xmin(pg_current_snapshot()): the oldest
-- transaction running anywhere on the server. But only transactions of this
-- database can write its outboxes, so in-progress transactions known to
-- belong to other databases are left out: one long transaction elsewhere on
-- the server no longer stalls every relay. The filter is conservative: a
-- transaction whose database is unknown (it ended between the snapshot and
-- the look-up, or is a prepared transaction) still counts, which can only
-- delay a row, never skip it.
CREATE OR REPLACE FUNCTION mallbots_outbox_horizon() RETURNS xid8
LANGUAGE sql STABLE AS $$
    WITH snap AS (SELECT pg_current_snapshot() AS s),
    elsewhere AS (
        SELECT backend_xid FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL
          AND datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database())
          AND datid IS NOT NULL
    )
    SELECT COALESCE(min(x), (SELECT pg_snapshot_xmax(s) FROM snap))
    FROM snap, pg_snapshot_xip(snap.s) AS x
    WHERE x::xid NOT IN (SELECT backend_xid FROM elsewhere)
$$;
