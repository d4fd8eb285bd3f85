-- The audit trail of `mallbots replay`: one row per invocation that changes
-- something (a replay or discard of poisoned messages, a re-delivery from
-- the event log), and for poisoned messages one row per message, written
-- before the message leaves its poison queue and holding it in full, so a
-- discarded message is never lost.
CREATE SCHEMA IF NOT EXISTS replay;

CREATE TABLE replay.runs (
    id          UUID PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL while running, and for ever if the process was killed.
    finished_at TIMESTAMPTZ,
    -- Who ran it ($USER).
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('replay', 'discard', 'from-log')),
    -- The selection, as the flags that made it.
    selection   TEXT NOT NULL,
    -- The handler a from-log run re-delivered to ('' otherwise).
    target      TEXT NOT NULL DEFAULT '',
    selected    INT NOT NULL,
    succeeded   INT NOT NULL DEFAULT 0,
    failed      INT NOT NULL DEFAULT 0,
    -- 'running', 'ok', or what went wrong.
    result      TEXT NOT NULL DEFAULT 'running'
);
CREATE INDEX runs_started_at ON replay.runs (started_at);

CREATE TABLE replay.messages (
    id           BIGSERIAL PRIMARY KEY,
    run_id       UUID NOT NULL REFERENCES replay.runs (id),
    message_id   TEXT NOT NULL,
    -- The poison queue it was taken from.
    source       TEXT NOT NULL,
    handler      TEXT NOT NULL,
    topic        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    replay_count INT NOT NULL,
    -- 'pending' is written before the message leaves the poison queue; a
    -- row left pending belongs to an interrupted run.
    outcome      TEXT NOT NULL CHECK (outcome IN ('pending', 'redelivered', 'discarded', 'failed')),
    error        TEXT NOT NULL DEFAULT '',
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    properties   JSONB NOT NULL,
    headers      JSONB NOT NULL,
    payload      BYTEA NOT NULL
);
CREATE INDEX messages_run_id ON replay.messages (run_id);
CREATE INDEX messages_message_id ON replay.messages (message_id);
