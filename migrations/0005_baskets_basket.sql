-- The basket aggregate, stored as state, in the schema 0004_baskets.sql made.
--
-- A basket's lines are a JSONB array on the basket's own row rather than a
-- table of their own: the basket is the unit of consistency, always loaded,
-- locked (SELECT … FOR UPDATE on this one row) and saved whole, and nothing
-- queries lines on their own. One row keeps every save a single UPDATE with
-- no diffing or delete-and-reinsert of lines, and the array keeps the lines
-- in the order the customer added them. The rules about lines (quantities,
-- limits) live in domain/basket; the checks below only guard the shape.
CREATE TABLE baskets.baskets (
    id          UUID PRIMARY KEY,
    customer_id UUID NOT NULL,
    payment_id  UUID,
    status      TEXT NOT NULL CHECK (status IN ('open', 'checked_out', 'canceled')),
    -- [{"storeId", "storeName", "productId", "productName", "price" (cents), "quantity"}]
    items       JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(items) = 'array'),
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A basket has a payment exactly when it was checked out.
    CHECK ((status = 'checked_out') = (payment_id IS NOT NULL))
);
