package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
)

// Depot is the depot service's repository: shopping lists and the bots that
// shop them, in schema depot, with the service's outbox inside every write
// that publishes.
//
// Every method joins the transaction in ctx when there is one, so inside a
// consumer it joins the transaction that records the message in the inbox.
// Writes that touch a list and a bot lock
// the list first and the bot second; Claim, which locks the bot first, never
// waits for a list (SKIP LOCKED), so the two orders cannot deadlock. A bot is
// found by its ID or by its external ID (depot.BotRef).
type Depot struct {
	db     *DB
	outbox Outbox
}

// NewDepot returns the depot repository.
func NewDepot(db *DB, outbox Outbox) *Depot { return &Depot{db: db, outbox: outbox} }

const (
	shoppingListColumns = "id, order_id, status, bot_id, stops, version"
	depotBotColumns     = "id, external_id, name, status, shopping_id, version"
)

// depotStopJSON is how a stop is stored in shopping_lists.stops.
type depotStopJSON struct {
	StoreID       string          `json:"storeId"`
	StoreName     string          `json:"storeName"`
	StoreLocation string          `json:"storeLocation"`
	Items         []depotItemJSON `json:"items"`
	PickedUp      bool            `json:"pickedUp"`
}

type depotItemJSON struct {
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Quantity    int    `json:"quantity"`
}

func marshalDepotStops(stops []depot.Stop) ([]byte, error) {
	out := make([]depotStopJSON, len(stops))
	for i, s := range stops {
		st := s.Store()
		out[i] = depotStopJSON{StoreID: st.ID, StoreName: st.Name, StoreLocation: st.Location, PickedUp: s.PickedUp()}
		for _, it := range s.Items() {
			out[i].Items = append(out[i].Items, depotItemJSON(it))
		}
	}
	return json.Marshal(out)
}

// scanShoppingList reads a row of shoppingListColumns, then any more
// columns into more.
func scanShoppingList(row pgx.Row, more ...any) (*depot.ShoppingList, error) {
	var id, orderID, statusName string
	var botID *string
	var stopsJSON []byte
	var version int64
	if err := row.Scan(append([]any{&id, &orderID, &statusName, &botID, &stopsJSON, &version}, more...)...); err != nil {
		return nil, err
	}
	status, err := depot.ParseStatus(statusName)
	if err != nil {
		return nil, fmt.Errorf("stored shopping list %s: %w", id, err)
	}
	var rows []depotStopJSON
	if err := json.Unmarshal(stopsJSON, &rows); err != nil {
		return nil, fmt.Errorf("stored stops of shopping list %s: %w", id, err)
	}
	stops := make([]depot.Stop, len(rows))
	for i, r := range rows {
		items := make([]depot.Item, len(r.Items))
		for j, it := range r.Items {
			items[j] = depot.Item(it)
		}
		stops[i] = depot.RehydrateStop(depot.Store{ID: r.StoreID, Name: r.StoreName, Location: r.StoreLocation}, items, r.PickedUp)
	}
	return depot.Rehydrate(id, orderID, status, depotString(botID), stops, version), nil
}

func scanDepotBot(row pgx.Row) (*depot.Bot, error) {
	var id, name, statusName string
	var externalID, shoppingID *string
	var version int64
	if err := row.Scan(&id, &externalID, &name, &statusName, &shoppingID, &version); err != nil {
		return nil, err
	}
	status, err := depot.ParseBotStatus(statusName)
	if err != nil {
		return nil, fmt.Errorf("stored bot %s: %w", id, err)
	}
	return depot.RehydrateBot(id, depotString(externalID), name, status, depotString(shoppingID), version), nil
}

// depotBotWhere returns the condition on $1 and the argument that find the
// bot ref names. An ID reference is a canonical UUID (depot.ParseBotRef), so
// it cannot fail the cast to the id column, which would abort the
// transaction.
func depotBotWhere(ref depot.BotRef) (string, string) {
	if ref.ID() != "" {
		return "id = $1", ref.ID()
	}
	return "external_id = $1", ref.ExternalID()
}

func depotString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// depotNullable stores "" as NULL.
func depotNullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Add saves a new list and publishes evs with it. An order has one list
// (order_id is unique): a second one fails with an error of no domain kind,
// so a consumer that raced another to create the order's list retries, and
// then finds that list.
func (r *Depot) Add(ctx context.Context, l *depot.ShoppingList, evs ...events.Event) error {
	stops, err := marshalDepotStops(l.Stops())
	if err != nil {
		return fmt.Errorf("encode stops of shopping list %s: %w", l.ID(), err)
	}
	return insert(ctx, r.db, r.outbox, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "INSERT INTO depot.shopping_lists ("+shoppingListColumns+", correlation_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			l.ID(), l.OrderID(), l.Status().String(), depotNullable(l.BotID()), stops, l.Version(), flowOf(ctx))
		if isUniqueViolation(err) {
			return fmt.Errorf("insert shopping list %s: order %s got a list concurrently: %w", l.ID(), l.OrderID(), err)
		}
		if err != nil {
			return fmt.Errorf("insert shopping list %s: %w", l.ID(), err)
		}
		return nil
	}, evs)
}

// shoppingWork is what one write locked: a list and a bot, either of which
// may be nil, with the versions they were loaded at so that an unchanged one
// is not written back.
type shoppingWork struct {
	list        *depot.ShoppingList
	bot         *depot.Bot
	listVersion int64
	botVersion  int64
}

func newShoppingWork(l *depot.ShoppingList, b *depot.Bot) *shoppingWork {
	w := &shoppingWork{list: l, bot: b}
	if l != nil {
		w.listVersion = l.Version()
	}
	if b != nil {
		w.botVersion = b.Version()
	}
	return w
}

// Update changes list id with fn under row locks and publishes the events fn
// returns, in one transaction. Like every write of a list, the events continue
// the flow (correlation ID) of the order it was planned for, whoever asked. fn gets the bot the list is assigned to while
// it is assigned, and nil otherwise; both are saved. ErrNotFound when there
// is no such list.
func (r *Depot) Update(ctx context.Context, id string, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error {
	return updateInFlow(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*shoppingWork, string, error) {
			l, flow, err := lockShoppingList(ctx, tx, id)
			if err != nil {
				return nil, "", err
			}
			var b *depot.Bot
			if l.Status() == depot.StatusAssigned {
				if b, err = lockDepotBot(ctx, tx, "id = $1", l.BotID()); err != nil {
					return nil, "", err
				}
			}
			return newShoppingWork(l, b), flow, nil
		},
		saveShoppingWork,
		func(w *shoppingWork) ([]events.Event, error) { return fn(w.list, w.bot) })
}

// Assign runs fn on list id and the bot that answers to bot.Ref() under row
// locks (list first) and publishes the events fn returns, in one
// transaction: the way to give a list to a bot of the caller's choosing.
// When no bot answers to it yet, bot is registered first, in the same
// transaction, so a bot registered on first use exists only if fn succeeds;
// concurrent first uses of one external ID register one bot (the unique
// external_id makes the later insert wait for the first and then do
// nothing). ErrNotFound when there is no such list.
func (r *Depot) Assign(ctx context.Context, id string, bot *depot.Bot, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error {
	return updateInFlow(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*shoppingWork, string, error) {
			l, flow, err := lockShoppingList(ctx, tx, id)
			if err != nil {
				return nil, "", err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO depot.bots ("+depotBotColumns+") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
				depotBotArgs(bot)...); err != nil {
				return nil, "", fmt.Errorf("register bot %s on first use: %w", bot.Ref(), err)
			}
			where, arg := depotBotWhere(bot.Ref())
			b, err := lockDepotBot(ctx, tx, where, arg)
			if err != nil {
				return nil, "", err
			}
			return newShoppingWork(l, b), flow, nil
		},
		saveShoppingWork,
		func(w *shoppingWork) ([]events.Event, error) { return fn(w.list, w.bot) })
}

// Claim locks the bot ref names and the oldest available list that no
// concurrent transaction holds, runs fn on them and publishes the events fn
// returns, in one transaction. fn gets a nil list when none is available.
// Locked lists are skipped rather than waited for (FOR UPDATE SKIP LOCKED),
// so concurrent claims by several bots each get a different list, or none,
// and never the same one. ErrNotFound when there is no such bot.
func (r *Depot) Claim(ctx context.Context, ref depot.BotRef, fn func(*depot.Bot, *depot.ShoppingList) ([]events.Event, error)) error {
	return updateInFlow(ctx, r.db, r.outbox,
		func(ctx context.Context, tx pgx.Tx) (*shoppingWork, string, error) {
			where, arg := depotBotWhere(ref)
			b, err := lockDepotBot(ctx, tx, where, arg)
			if err != nil {
				return nil, "", err
			}
			var flow string
			l, err := scanShoppingList(tx.QueryRow(ctx, "SELECT "+shoppingListColumns+
				", correlation_id FROM depot.shopping_lists WHERE status = $1 ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED",
				depot.StatusAvailable.String()), &flow)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				l = nil
			case err != nil:
				return nil, "", fmt.Errorf("find an available shopping list: %w", err)
			}
			return newShoppingWork(l, b), flow, nil
		},
		saveShoppingWork,
		func(w *shoppingWork) ([]events.Event, error) { return fn(w.bot, w.list) })
}

// lockShoppingList loads and locks list id with the flow it was planned in.
func lockShoppingList(ctx context.Context, tx pgx.Tx, id string) (*depot.ShoppingList, string, error) {
	var flow string
	l, err := scanShoppingList(tx.QueryRow(ctx, "SELECT "+shoppingListColumns+", correlation_id FROM depot.shopping_lists WHERE id = $1 FOR UPDATE", id), &flow)
	if err != nil {
		return nil, "", notFound(err, "shopping list", id)
	}
	return l, flow, nil
}

// lockDepotBot loads and locks the bot that where, a condition on $1, finds
// with arg (as depotBotWhere returns them).
func lockDepotBot(ctx context.Context, tx pgx.Tx, where, arg string) (*depot.Bot, error) {
	b, err := scanDepotBot(tx.QueryRow(ctx, "SELECT "+depotBotColumns+" FROM depot.bots WHERE "+where+" FOR UPDATE", arg))
	if err != nil {
		return nil, notFound(err, "bot", arg)
	}
	return b, nil
}

// saveShoppingWork writes back the list and the bot that changed.
func saveShoppingWork(ctx context.Context, tx pgx.Tx, w *shoppingWork) error {
	if l := w.list; l != nil && l.Version() != w.listVersion {
		stops, err := marshalDepotStops(l.Stops())
		if err != nil {
			return fmt.Errorf("encode stops of shopping list %s: %w", l.ID(), err)
		}
		_, err = tx.Exec(ctx, "UPDATE depot.shopping_lists SET status = $2, bot_id = $3, stops = $4, version = $5, updated_at = now() WHERE id = $1",
			l.ID(), l.Status().String(), depotNullable(l.BotID()), stops, l.Version())
		if err != nil {
			return fmt.Errorf("save shopping list %s: %w", l.ID(), err)
		}
	}
	if b := w.bot; b != nil && b.Version() != w.botVersion {
		_, err := tx.Exec(ctx, "UPDATE depot.bots SET status = $2, shopping_id = $3, version = $4, updated_at = now() WHERE id = $1",
			b.ID(), b.Status().String(), depotNullable(b.ShoppingID()), b.Version())
		if err != nil {
			return fmt.Errorf("save bot %s: %w", b.ID(), err)
		}
	}
	return nil
}

// Get returns list id, or ErrNotFound.
func (r *Depot) Get(ctx context.Context, id string) (*depot.ShoppingList, error) {
	l, err := scanShoppingList(r.db.conn(ctx).QueryRow(ctx, "SELECT "+shoppingListColumns+" FROM depot.shopping_lists WHERE id = $1", id))
	if err != nil {
		return nil, notFound(err, "shopping list", id)
	}
	return l, nil
}

// FindByOrder returns the list of order orderID, or ErrNotFound when the
// order has none.
func (r *Depot) FindByOrder(ctx context.Context, orderID string) (*depot.ShoppingList, error) {
	l, err := scanShoppingList(r.db.conn(ctx).QueryRow(ctx, "SELECT "+shoppingListColumns+" FROM depot.shopping_lists WHERE order_id = $1", orderID))
	if err != nil {
		return nil, notFound(err, "shopping list of order", orderID)
	}
	return l, nil
}

// List returns up to limit lists in status (all statuses for the zero
// Status), oldest first: the order bots claim them in.
func (r *Depot) List(ctx context.Context, status depot.Status, limit int) ([]*depot.ShoppingList, error) {
	rows, err := r.db.conn(ctx).Query(ctx, "SELECT "+shoppingListColumns+
		" FROM depot.shopping_lists WHERE $1 = '' OR status = $1 ORDER BY created_at, id LIMIT $2", status.String(), limit)
	if err != nil {
		return nil, fmt.Errorf("list shopping lists: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*depot.ShoppingList, error) { return scanShoppingList(row) })
}

// depotBotArgs returns b's values in the order of depotBotColumns.
func depotBotArgs(b *depot.Bot) []any {
	return []any{b.ID(), depotNullable(b.ExternalID()), b.Name(), b.Status().String(), depotNullable(b.ShoppingID()), b.Version()}
}

// AddBot saves a new bot. Bots publish no events.
func (r *Depot) AddBot(ctx context.Context, b *depot.Bot) error {
	_, err := r.db.conn(ctx).Exec(ctx, "INSERT INTO depot.bots ("+depotBotColumns+") VALUES ($1, $2, $3, $4, $5, $6)", depotBotArgs(b)...)
	if err != nil {
		return fmt.Errorf("insert bot %s: %w", b.ID(), err)
	}
	return nil
}

// GetBot returns the bot ref names by its ID or external ID, or
// ErrNotFound.
func (r *Depot) GetBot(ctx context.Context, ref depot.BotRef) (*depot.Bot, error) {
	where, arg := depotBotWhere(ref)
	b, err := scanDepotBot(r.db.conn(ctx).QueryRow(ctx, "SELECT "+depotBotColumns+" FROM depot.bots WHERE "+where, arg))
	if err != nil {
		return nil, notFound(err, "bot", ref.String())
	}
	return b, nil
}

// ListBots returns every bot by name.
func (r *Depot) ListBots(ctx context.Context) ([]*depot.Bot, error) {
	rows, err := r.db.conn(ctx).Query(ctx, "SELECT "+depotBotColumns+" FROM depot.bots ORDER BY name, id")
	if err != nil {
		return nil, fmt.Errorf("list bots: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*depot.Bot, error) { return scanDepotBot(row) })
}

// DepotCache is the depot service's copy of the stores' names and locations,
// in schema depot, filled by consumers of StoreCreated and StoreRebranded.
// Like BasketsCache its writes join the transaction in ctx, are idempotent,
// and keep the name's version so that a stale event changes nothing.
type DepotCache struct {
	db *DB
}

// NewDepotCache returns the depot service's store cache.
func NewDepotCache(db *DB) *DepotCache { return &DepotCache{db: db} }

// SetStore records store id with its name as of version and its location
// (from StoreCreated). A name as new or newer already cached is kept; the
// location never changes once set, since stores do not move.
func (c *DepotCache) SetStore(ctx context.Context, id, name, location string, version int64) error {
	return c.exec(ctx, id, `
		INSERT INTO depot.stores_cache AS s (id, name, name_version, location) VALUES ($1, $2, $4, $3)
		ON CONFLICT (id) DO UPDATE SET
			name         = CASE WHEN s.name_version < excluded.name_version THEN excluded.name ELSE s.name END,
			name_version = GREATEST(s.name_version, excluded.name_version),
			location     = COALESCE(s.location, excluded.location),
			updated_at   = now()
		WHERE s.name_version < excluded.name_version OR s.location IS NULL`,
		id, name, location, version)
}

// SetStoreName records that store id is called name as of version (from
// StoreRebranded). An older or equal version changes nothing. When it
// overtakes StoreCreated the store is cached without a location, which
// Stores does not count as known until StoreCreated lands.
func (c *DepotCache) SetStoreName(ctx context.Context, id, name string, version int64) error {
	return c.exec(ctx, id, `
		INSERT INTO depot.stores_cache AS s (id, name, name_version) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_version = excluded.name_version, updated_at = now()
		WHERE s.name_version < excluded.name_version`,
		id, name, version)
}

// Stores returns the known stores among ids (UUIDs in any case), those with
// a name and a location, keyed by the ID as given and holding the canonical
// one. Unknown IDs are left out.
func (c *DepotCache) Stores(ctx context.Context, ids []string) (map[string]depot.Store, error) {
	rows, err := c.db.conn(ctx).Query(ctx, `
		SELECT given, s.id, s.name, s.location
		FROM unnest($1::text[]) AS given JOIN depot.stores_cache s ON s.id = given::uuid
		WHERE s.location IS NOT NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("look up cached stores: %w", err)
	}
	out := make(map[string]depot.Store, len(ids))
	var given string
	var s depot.Store
	_, err = pgx.ForEachRow(rows, []any{&given, &s.ID, &s.Name, &s.Location}, func() error {
		out[given] = s
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up cached stores: %w", err)
	}
	return out, nil
}

func (c *DepotCache) exec(ctx context.Context, id, sql string, args ...any) error {
	return c.db.upsert(ctx, fmt.Sprintf("cache store %s", id), sql, args...)
}
