-- Idempotency keys of the HTTP edge (httpapi.Idempotency): the first POST
-- with a key records it, a hash of its body and its response in the same
-- transaction as its own writes, so a retry gets the same answer instead of
-- a second entity. Rows older than the retention are pruned.
CREATE TABLE IF NOT EXISTS public.mallbots_idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INT NOT NULL,
    content_type TEXT NOT NULL,
    body         BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS mallbots_idempotency_keys_created_at ON public.mallbots_idempotency_keys (created_at);
