-- A bot may be known by an external ID: the name its own software calls it
-- by. The book's clients assign shopping lists to bots such as "bot-1" that
-- no one registered; the depot registers such a bot on first use under a
-- UUID of its own and keeps the name here, to find the bot by it next time.
-- NULL for bots registered with POST /api/depot/bots, known by their ID.
-- Unique, so one external ID is one bot, and concurrent first uses of it
-- register one bot.
ALTER TABLE depot.bots ADD COLUMN external_id TEXT UNIQUE CHECK (external_id <> '');
