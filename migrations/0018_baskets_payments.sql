-- What checkout needs to know about a payment before it accepts it, so that
-- baskets refuses at once what the create-order saga would refuse later.
--
-- payments_cache is the baskets service's copy of the payment
-- authorizations, from the payments events. Each column is a fact that,
-- once set, never changes (who authorized the payment, the one order it was
-- confirmed for, that it was voided), so the consumers only fill columns
-- still empty and need no versions: any event may arrive first and the row
-- ends the same. customer_id is NULL while only a later event arrived.
CREATE TABLE baskets.payments_cache (
    id          UUID PRIMARY KEY,
    customer_id UUID,
    order_id    UUID,
    voided      BOOLEAN NOT NULL DEFAULT false,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A payment authorization pays for one checkout. The unique index is what
-- makes two baskets racing to check out with one payment end with one
-- winner; postgres.Baskets turns its violation into basket.ErrPaymentUsed.
--
-- Before it, checkout let a client name one payment for several baskets (the
-- saga rejected every order after the first). Such baskets stay as they
-- are: the first checkout with each payment is in the index, the later ones
-- are left out of it by ID, so the index can be built on any database and
-- the payment stays used for every checkout from now on.
DO $$
DECLARE
    later TEXT;
BEGIN
    SELECT string_agg(quote_literal(id::text), ', ') INTO later
    FROM (SELECT id, row_number() OVER (PARTITION BY payment_id ORDER BY created_at, id) AS n
          FROM baskets.baskets WHERE payment_id IS NOT NULL) b
    WHERE n > 1;
    EXECUTE 'CREATE UNIQUE INDEX baskets_one_basket_per_payment ON baskets.baskets (payment_id) WHERE payment_id IS NOT NULL'
        || COALESCE(' AND id NOT IN (' || later || ')', '');
END $$;
