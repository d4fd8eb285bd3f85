-- The orders service's copy of the stores' catalog, so that POST
-- /api/ordering prices and names every item from events, as checkout does
-- in baskets: a client never sets a price. The tables have exactly the
-- shape of baskets' (0004_baskets.sql), copied from them here, because one
-- piece of code, postgres.CatalogCache, writes and reads both: each cached
-- field keeps the version of the event that last set it, and a removed
-- product keeps its row, so events converge in any arrival order.
CREATE TABLE orders.stores_cache (LIKE baskets.stores_cache INCLUDING ALL);
CREATE TABLE orders.products_cache (LIKE baskets.products_cache INCLUDING ALL);
