package depot_test

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/depot"
	"github.com/mallbots/mallbots/events"
	handlers "github.com/mallbots/mallbots/handlers/depot"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeRepo is an in-memory stand-in for postgres.Depot: it keeps copies of
// the lists (in the order they were added, which stands for their age, with
// the flow each was planned in) and the bots, and records, in order, the
// events each successful write publishes, in the list's flow. Like the real
// one (contract.RunDepot), a write whose fn fails saves and publishes nothing
// (a bot Assign registers on first use included), Update hands fn the bot of
// an assigned list, bots are found by ID or external ID, an order has one
// list and a list, like a bot, one ID.
type fakeRepo struct {
	mu    sync.Mutex
	lists []stored
	bots  map[string]*depot.Bot
	log   memrepo.Log
	// failNext, when set, is returned by the next call instead of working.
	failNext error
}

// stored is a list and the flow it was planned in.
type stored struct {
	list *depot.ShoppingList
	flow string
}

func newFakeRepo() *fakeRepo { return &fakeRepo{bots: map[string]*depot.Bot{}} }

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeRepo) opened() (*fakeRepo, contract.Outbox) { return f, f.log.Outbox() }

func cloneList(l *depot.ShoppingList) *depot.ShoppingList {
	return depot.Rehydrate(l.ID(), l.OrderID(), l.Status(), l.BotID(), l.Stops(), l.Version())
}

func cloneBot(b *depot.Bot) *depot.Bot {
	return depot.RehydrateBot(b.ID(), b.ExternalID(), b.Name(), b.Status(), b.ShoppingID(), b.Version())
}

func (f *fakeRepo) fail() error {
	err := f.failNext
	f.failNext = nil
	return err
}

func (f *fakeRepo) index(id string) int {
	return slices.IndexFunc(f.lists, func(s stored) bool { return s.list.ID() == id })
}

func (f *fakeRepo) Add(ctx context.Context, l *depot.ShoppingList, evs ...events.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return err
	}
	if slices.ContainsFunc(f.lists, func(s stored) bool { return s.list.ID() == l.ID() || s.list.OrderID() == l.OrderID() }) {
		return fmt.Errorf("list %s or a list for order %s exists", l.ID(), l.OrderID())
	}
	f.lists = append(f.lists, stored{cloneList(l), correlation.From(ctx).CorrelationID})
	return f.log.Publish(ctx, evs...)
}

// write runs fn on copies of list i and bot b (either may be absent) and
// keeps them and fn's events, in the list's flow, if fn succeeds.
func (f *fakeRepo) write(ctx context.Context, i int, b *depot.Bot, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error {
	var l *depot.ShoppingList
	if i >= 0 {
		l = cloneList(f.lists[i].list)
		ctx = correlation.Continue(ctx, f.lists[i].flow)
	}
	if b != nil {
		b = cloneBot(b)
	}
	evs, err := fn(l, b)
	if err != nil {
		return err
	}
	if l != nil {
		f.lists[i].list = l
	}
	if b != nil {
		f.bots[b.ID()] = b
	}
	return f.log.Publish(ctx, evs...)
}

func (f *fakeRepo) Update(ctx context.Context, id string, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return err
	}
	i := f.index(id)
	if i < 0 {
		return fmt.Errorf("%w: shopping list %s", domain.ErrNotFound, id)
	}
	var b *depot.Bot
	if l := f.lists[i].list; l.Status() == depot.StatusAssigned {
		b = f.bots[l.BotID()]
	}
	return f.write(ctx, i, b, fn)
}

// findBot returns the bot ref names, or nil.
func (f *fakeRepo) findBot(ref depot.BotRef) *depot.Bot {
	if ref.ID() != "" {
		return f.bots[ref.ID()]
	}
	for _, b := range f.bots {
		if b.ExternalID() == ref.ExternalID() {
			return b
		}
	}
	return nil
}

func (f *fakeRepo) Assign(ctx context.Context, id string, bot *depot.Bot, fn func(*depot.ShoppingList, *depot.Bot) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.index(id)
	if i < 0 {
		return fmt.Errorf("%w: shopping list %s", domain.ErrNotFound, id)
	}
	b := f.findBot(bot.Ref())
	if b == nil {
		b = bot
	}
	return f.write(ctx, i, b, fn)
}

func (f *fakeRepo) Claim(ctx context.Context, ref depot.BotRef, fn func(*depot.Bot, *depot.ShoppingList) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.findBot(ref)
	if b == nil {
		return fmt.Errorf("%w: bot %s", domain.ErrNotFound, ref)
	}
	i := slices.IndexFunc(f.lists, func(s stored) bool { return s.list.Status() == depot.StatusAvailable })
	return f.write(ctx, i, b, func(l *depot.ShoppingList, b *depot.Bot) ([]events.Event, error) { return fn(b, l) })
}

func (f *fakeRepo) Get(_ context.Context, id string) (*depot.ShoppingList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i := f.index(id); i >= 0 {
		return cloneList(f.lists[i].list), nil
	}
	return nil, fmt.Errorf("%w: shopping list %s", domain.ErrNotFound, id)
}

func (f *fakeRepo) FindByOrder(_ context.Context, orderID string) (*depot.ShoppingList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return nil, err
	}
	for _, s := range f.lists {
		if s.list.OrderID() == orderID {
			return cloneList(s.list), nil
		}
	}
	return nil, fmt.Errorf("%w: shopping list of order %s", domain.ErrNotFound, orderID)
}

func (f *fakeRepo) List(_ context.Context, status depot.Status, limit int) ([]*depot.ShoppingList, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*depot.ShoppingList
	for _, s := range f.lists {
		if (status == depot.Status{} || s.list.Status() == status) && len(out) < limit {
			out = append(out, cloneList(s.list))
		}
	}
	return out, nil
}

func (f *fakeRepo) AddBot(_ context.Context, b *depot.Bot) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.bots[b.ID()] != nil || b.ExternalID() != "" && f.findBot(b.Ref()) != nil {
		return fmt.Errorf("bot %s exists", b.Ref())
	}
	f.bots[b.ID()] = cloneBot(b)
	return nil
}

func (f *fakeRepo) GetBot(_ context.Context, ref depot.BotRef) (*depot.Bot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.findBot(ref); b != nil {
		return cloneBot(b), nil
	}
	return nil, fmt.Errorf("%w: bot %s", domain.ErrNotFound, ref)
}

func (f *fakeRepo) ListBots(_ context.Context) ([]*depot.Bot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*depot.Bot
	for _, b := range f.bots {
		out = append(out, cloneBot(b))
	}
	slices.SortFunc(out, func(a, b *depot.Bot) int { return cmp.Or(cmp.Compare(a.Name(), b.Name()), cmp.Compare(a.ID(), b.ID())) })
	return out, nil
}

// put stores l and bots as they are, publishing nothing.
func (f *fakeRepo) put(l *depot.ShoppingList, bots ...*depot.Bot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l != nil {
		f.lists = append(f.lists, stored{list: cloneList(l)})
	}
	for _, b := range bots {
		f.bots[b.ID()] = cloneBot(b)
	}
}

// published returns a copy of every event published so far, in order.
func (f *fakeRepo) published() []events.Event { return f.log.Published() }

func (f *fakeRepo) list(id string) *depot.ShoppingList {
	l, _ := f.Get(context.Background(), id)
	return l
}

func (f *fakeRepo) bot(id string) *depot.Bot {
	ref, _ := depot.ParseBotRef(id)
	b, _ := f.GetBot(context.Background(), ref)
	return b
}

func (f *fakeRepo) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.lists)
}

// fakePublisher writes into the repository's event record, as
// postgres.Publisher writes into the same outbox as postgres.Depot.
type fakePublisher struct {
	repo *fakeRepo
	err  error
}

func (p *fakePublisher) Publish(ctx context.Context, evs ...events.Event) error {
	if p.err != nil {
		return p.err
	}
	return p.repo.log.Publish(ctx, evs...)
}

// opened returns a publisher into a fresh repository's record and that
// record, as the contract suites open an implementation.
func (p *fakePublisher) opened() (*fakePublisher, contract.Outbox) {
	p.repo = newFakeRepo()
	return p, p.repo.log.Outbox()
}

// call is one cache write as the fake saw it.
type call struct {
	method string
	args   []any
}

// fakeCache is an in-memory stand-in for postgres.DepotCache with its rules
// (contract.RunDepotStoreCache): a version-guarded name, a location set
// once, and a store known once it has one. It records every write, and
// fails every call with err when set.
type fakeCache struct {
	mu     sync.Mutex
	stores map[string]cachedStore
	calls  []call
	err    error
}

type cachedStore struct {
	name        string
	nameVersion int64
	location    string
}

// newFakeCache returns a cache that knows stores, as StoreCreated at
// version 1 leaves them, with no write recorded.
func newFakeCache(stores ...depot.Store) *fakeCache {
	c := &fakeCache{stores: map[string]cachedStore{}}
	for _, s := range stores {
		c.stores[s.ID] = cachedStore{name: s.Name, nameVersion: 1, location: s.Location}
	}
	return c
}

func (c *fakeCache) SetStore(_ context.Context, id, name, location string, version int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call{"SetStore", []any{id, name, location, version}})
	if c.err != nil {
		return c.err
	}
	s := c.stores[id]
	if s.nameVersion < version {
		s.name, s.nameVersion = name, version
	}
	if s.location == "" {
		s.location = location
	}
	c.stores[id] = s
	return nil
}

func (c *fakeCache) SetStoreName(_ context.Context, id, name string, version int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, call{"SetStoreName", []any{id, name, version}})
	if c.err != nil {
		return c.err
	}
	if s := c.stores[id]; s.nameVersion < version {
		s.name, s.nameVersion = name, version
		c.stores[id] = s
	}
	return nil
}

func (c *fakeCache) Stores(_ context.Context, ids []string) (map[string]depot.Store, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	out := map[string]depot.Store{}
	for _, id := range ids {
		if s, ok := c.stores[id]; ok && s.location != "" {
			out[id] = depot.Store{ID: id, Name: s.name, Location: s.location}
		}
	}
	return out, nil
}

// sequentialIDs returns a newID func making predictable UUIDs
// 00000000-0000-4000-8000-000000000001, …002, ...
func sequentialIDs() func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }
}

// Fixed IDs of the tests' world.
const (
	storeA   = "00000000-0000-4000-a000-00000000000a"
	storeB   = "00000000-0000-4000-a000-00000000000b"
	storeNew = "00000000-0000-4000-a000-00000000000c"
	productX = "00000000-0000-4000-b000-000000000001"
	productY = "00000000-0000-4000-b000-000000000002"
	orderID  = "00000000-0000-4000-c000-000000000001"
	order2ID = "00000000-0000-4000-c000-000000000002"
	listID   = "00000000-0000-4000-d000-000000000001"
	botID    = "00000000-0000-4000-e000-000000000001"
	bot2ID   = "00000000-0000-4000-e000-000000000002"
)

var (
	waffles = depot.Store{ID: storeA, Name: "Waffles", Location: "Level 1"}
	bolts   = depot.Store{ID: storeB, Name: "Bolts", Location: "Level 2"}
)

// world is the depot service over fakes that know stores A and B; log
// collects what the service logs.
type world struct {
	h     *handlers.Handlers
	repo  *fakeRepo
	cache *fakeCache
	pub   *fakePublisher
	log   *bytes.Buffer
}

func newWorld() *world {
	repo := newFakeRepo()
	cache := newFakeCache(waffles, bolts)
	pub := &fakePublisher{repo: repo}
	var log bytes.Buffer
	h := handlers.New(repo, cache, pub, sequentialIDs(), slog.New(slog.NewTextHandler(&log, nil)))
	return &world{h: h, repo: repo, cache: cache, pub: pub, log: &log}
}

// seed stores list listID of orderID in status, with a stop at each of
// stores A and B (picked up when picked); an assigned or completed list is
// bot botID's, who is busy with it while it is assigned. It returns the list.
func (w *world) seed(status depot.Status, picked bool) *depot.ShoppingList {
	stops := []depot.Stop{
		depot.RehydrateStop(waffles, []depot.Item{{ProductID: productX, ProductName: "Syrup", Quantity: 2}}, picked),
		depot.RehydrateStop(bolts, []depot.Item{{ProductID: productY, ProductName: "Bolt", Quantity: 10}}, picked),
	}
	bot := depot.RehydrateBot(botID, "", "R2", depot.BotIdle, "", 1)
	listBot := ""
	switch status {
	case depot.StatusAssigned:
		listBot = botID
		bot = depot.RehydrateBot(botID, "", "R2", depot.BotBusy, listID, 2)
	case depot.StatusCompleted:
		listBot = botID
	}
	l := depot.Rehydrate(listID, orderID, status, listBot, stops, 3)
	w.repo.put(l, bot)
	return l
}

var errDatabaseDown = errors.New("database is down")
