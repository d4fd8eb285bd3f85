// Package depot is the depot service: robots ("bots") shop orders. The
// create-order saga has the depot plan a shopping list for an order (one stop
// per store), make it available, or cancel it; bots claim available lists,
// pick up each store's items and complete the list at the depot. Store names
// and locations come from a local cache kept by consumers of the stores
// events (event-carried state transfer: the depot never calls another
// service).
package depot

import (
	"context"
	"log/slog"

	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
)

// Service is this service's name: its schema, queue prefix and log attribute.
const Service = "depot"

// Publishes lists the events this service publishes: its own facts and the
// replies to the saga's commands.
var Publishes = []events.Event{
	events.ShoppingListCreated{}, events.ShoppingListAvailable{}, events.ShoppingListAssigned{},
	events.ShoppingListCompleted{}, events.ShoppingListCanceled{}, events.CreateOrderReply{},
}

// repository stores shopping lists and bots (postgres.Depot). Writes publish
// the events they are given or fn returns in the same transaction, joining
// the one in ctx (a consumer's, with its inbox row) when there is one, in
// the flow the list was planned in; an fn error saves and publishes nothing
// (internal/contract.RunDepot).
type repository interface {
	// Add saves a new list; a list for an order that has one, or with a
	// taken ID, is an error of no domain kind (retried).
	Add(ctx context.Context, l *depot.ShoppingList, evs ...events.Event) error
	// Update locks list id and, while it is assigned, its bot (else nil).
	Update(ctx context.Context, id string, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error
	// Assign locks list id and the bot that answers to bot.Ref(), and when
	// no bot does yet, registers bot first in the same transaction: a bot
	// registered on first use exists only if fn succeeds.
	Assign(ctx context.Context, id string, bot *depot.Bot, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error
	// Claim locks the bot ref names and the oldest available list no one
	// else holds (nil when there is none).
	Claim(ctx context.Context, ref depot.BotRef, fn func(*depot.Bot, *depot.ShoppingList) ([]events.Event, error)) error
	Get(ctx context.Context, id string) (*depot.ShoppingList, error)
	FindByOrder(ctx context.Context, orderID string) (*depot.ShoppingList, error)
	// List returns up to limit lists in status (any for the zero Status),
	// oldest first. ListBots returns every bot by name, then ID; AddBot of
	// a taken ID or external ID fails.
	List(ctx context.Context, status depot.Status, limit int) ([]*depot.ShoppingList, error)
	AddBot(ctx context.Context, b *depot.Bot) error
	GetBot(ctx context.Context, ref depot.BotRef) (*depot.Bot, error)
	ListBots(ctx context.Context) ([]*depot.Bot, error)
}

// storeCache is the depot's copy of the stores' names and locations
// (postgres.DepotCache). Writes are idempotent and version-guarded: a stale
// event changes nothing and succeeds. A store is known (to Stores) once
// SetStore gave it a location (internal/contract.RunDepotStoreCache).
type storeCache interface {
	SetStore(ctx context.Context, id, name, location string, version int64) error
	SetStoreName(ctx context.Context, id, name string, version int64) error
	// Stores returns the known stores among ids, keyed by ID; unknown ones
	// are left out.
	Stores(ctx context.Context, ids []string) (map[string]depot.Store, error)
}

// publisher writes events to the depot's outbox with no aggregate change (a
// saga reply that repeats or refuses), in the transaction in ctx
// (postgres.Publisher).
type publisher interface {
	Publish(ctx context.Context, evs ...events.Event) error
}

// Handlers holds the depot service's use cases, consumers and transports.
type Handlers struct {
	repo   repository
	stores storeCache
	pub    publisher
	newID  func() string
	log    *slog.Logger
}

// New returns the depot service over repo, its store cache and a publisher to
// its outbox; newID makes shopping list and bot IDs, and log records what the
// consumers deliberately ignore.
func New(repo repository, stores storeCache, pub publisher, newID func() string, log *slog.Logger) *Handlers {
	return &Handlers{repo: repo, stores: stores, pub: pub, newID: newID, log: log}
}
