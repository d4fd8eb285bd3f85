package saga_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/saga"
	"github.com/mallbots/mallbots/events"
	sagas "github.com/mallbots/mallbots/handlers/saga"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/memrepo"
)

// fakeRepo is an in-memory stand-in for postgres.Sagas: it keeps each saga's
// state and records, in order, the commands each successful write sends.
// Like the real one, a write whose fn fails saves and sends nothing, and one
// whose fn does not move the saga rewrites nothing (contract.RunSagas).
type fakeRepo struct {
	mu     sync.Mutex
	sagas  map[string]saga.State
	log    memrepo.Log
	writes int
	// racer, when set, is stored by the next Add just before it looks, as
	// if a concurrent writer had added it first.
	racer *saga.CreateOrder
}

var stamp = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func (f *fakeRepo) Add(ctx context.Context, s *saga.CreateOrder, evs ...events.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.racer != nil {
		f.sagas[f.racer.OrderID()] = f.racer.State()
		f.racer = nil
	}
	if _, ok := f.sagas[s.OrderID()]; ok {
		return fmt.Errorf("%w: order %s", saga.ErrExists, s.OrderID())
	}
	st := s.State()
	st.UpdatedAt = stamp
	f.sagas[s.OrderID()] = st
	f.writes++
	return f.log.Publish(ctx, evs...)
}

func (f *fakeRepo) Update(ctx context.Context, orderID string, fn func(*saga.CreateOrder) ([]events.Event, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.sagas[orderID]
	if !ok {
		return fmt.Errorf("%w: create-order saga of order %s", domain.ErrNotFound, orderID)
	}
	s := saga.Rehydrate(st)
	evs, err := fn(s)
	if err != nil {
		return err
	}
	if after := s.State(); after.Version > st.Version {
		after.UpdatedAt = stamp.Add(time.Duration(after.Version) * time.Minute)
		f.sagas[orderID] = after
		f.writes++
	}
	return f.log.Publish(ctx, evs...)
}

func (f *fakeRepo) Get(_ context.Context, orderID string) (*saga.CreateOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.sagas[orderID]
	if !ok {
		return nil, fmt.Errorf("%w: create-order saga of order %s", domain.ErrNotFound, orderID)
	}
	return saga.Rehydrate(st), nil
}

// opened returns f and what it has published, as the contract suites open
// an implementation.
func (f *fakeRepo) opened() (*fakeRepo, contract.Outbox) { return f, f.log.Outbox() }

// commands returns every command sent so far, in order.
func (f *fakeRepo) commands() []events.Event { return f.log.Published() }

func (f *fakeRepo) state(orderID string) saga.State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sagas[orderID]
}

// fixture is the saga service over a fake repository, with its log captured.
type fixture struct {
	h    *sagas.Handlers
	repo *fakeRepo
	log  *bytes.Buffer
}

func newFixture() *fixture {
	f := &fixture{repo: &fakeRepo{sagas: map[string]saga.State{}}, log: &bytes.Buffer{}}
	f.h = sagas.New(f.repo, slog.New(slog.NewTextHandler(f.log, nil)))
	return f
}
