-- Entities born in a flow remember its correlation ID, so the events of
-- their later changes continue that flow whoever asks for them (a bot, the
-- depot's till): every event of one order's life carries one correlation ID.
-- Rows from before the column existed keep '' and use the request's own.
ALTER TABLE baskets.baskets ADD COLUMN IF NOT EXISTS correlation_id TEXT NOT NULL DEFAULT '';
ALTER TABLE payments.invoices ADD COLUMN IF NOT EXISTS correlation_id TEXT NOT NULL DEFAULT '';
ALTER TABLE depot.shopping_lists ADD COLUMN IF NOT EXISTS correlation_id TEXT NOT NULL DEFAULT '';
ALTER TABLE orders.events ADD COLUMN IF NOT EXISTS correlation_id TEXT NOT NULL DEFAULT '';
