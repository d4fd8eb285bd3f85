package stores

import (
	"context"

	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/events"
)

// CreateStore opens a store that does not participate yet and returns its ID.
func (h *Handlers) CreateStore(ctx context.Context, name, location string) (string, error) {
	s, err := store.New(h.newID(), name, location)
	if err != nil {
		return "", err
	}
	return s.ID(), h.repo.Add(ctx, s, events.StoreCreated{StoreID: s.ID(), Name: s.Name(), Location: s.Location(), Version: s.Version()})
}

// RebrandStore renames store id.
func (h *Handlers) RebrandStore(ctx context.Context, id, name string) error {
	return h.repo.Update(ctx, id, func(s *store.Store) ([]events.Event, error) {
		if err := s.Rebrand(name); err != nil {
			return nil, err
		}
		return []events.Event{events.StoreRebranded{StoreID: id, Name: s.Name(), Version: s.Version()}}, nil
	})
}

// EnableParticipation makes store id take part in bot shopping.
func (h *Handlers) EnableParticipation(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(s *store.Store) ([]events.Event, error) {
		if err := s.EnableParticipation(); err != nil {
			return nil, err
		}
		return []events.Event{events.StoreParticipationEnabled{StoreID: id, Version: s.Version()}}, nil
	})
}

// DisableParticipation takes store id out of bot shopping.
func (h *Handlers) DisableParticipation(ctx context.Context, id string) error {
	return h.repo.Update(ctx, id, func(s *store.Store) ([]events.Event, error) {
		if err := s.DisableParticipation(); err != nil {
			return nil, err
		}
		return []events.Event{events.StoreParticipationDisabled{StoreID: id, Version: s.Version()}}, nil
	})
}

// AddProduct adds a product (price in cents) to store storeID's catalog and
// returns its ID; ErrNotFound when the store does not exist.
func (h *Handlers) AddProduct(ctx context.Context, storeID, name, description, sku string, price int64) (string, error) {
	p, err := store.NewProduct(h.newID(), storeID, name, description, sku, price)
	if err != nil {
		return "", err
	}
	return p.ID(), h.repo.AddProduct(ctx, p, events.ProductAdded{
		ProductID: p.ID(), StoreID: p.StoreID(), Name: p.Name(), Description: p.Description(),
		SKU: p.SKU(), Price: p.Price(), Version: p.Version(),
	})
}

// RebrandProduct changes product id's name and description.
func (h *Handlers) RebrandProduct(ctx context.Context, id, name, description string) error {
	return h.repo.UpdateProduct(ctx, id, func(p *store.Product) ([]events.Event, error) {
		if err := p.Rebrand(name, description); err != nil {
			return nil, err
		}
		return []events.Event{events.ProductRebranded{ProductID: id, StoreID: p.StoreID(), Name: p.Name(), Description: p.Description(), Version: p.Version()}}, nil
	})
}

// IncreasePrice raises product id's price by delta cents.
func (h *Handlers) IncreasePrice(ctx context.Context, id string, delta int64) error {
	return h.repo.UpdateProduct(ctx, id, func(p *store.Product) ([]events.Event, error) {
		if err := p.IncreasePrice(delta); err != nil {
			return nil, err
		}
		return []events.Event{events.ProductPriceIncreased{ProductID: id, StoreID: p.StoreID(), Delta: delta, Price: p.Price(), Version: p.Version()}}, nil
	})
}

// DecreasePrice lowers product id's price by delta cents.
func (h *Handlers) DecreasePrice(ctx context.Context, id string, delta int64) error {
	return h.repo.UpdateProduct(ctx, id, func(p *store.Product) ([]events.Event, error) {
		if err := p.DecreasePrice(delta); err != nil {
			return nil, err
		}
		return []events.Event{events.ProductPriceDecreased{ProductID: id, StoreID: p.StoreID(), Delta: delta, Price: p.Price(), Version: p.Version()}}, nil
	})
}

// RemoveProduct takes product id out of its store's catalog.
func (h *Handlers) RemoveProduct(ctx context.Context, id string) error {
	return h.repo.RemoveProduct(ctx, id, func(p *store.Product) ([]events.Event, error) {
		return []events.Event{events.ProductRemoved{ProductID: id, StoreID: p.StoreID(), Version: p.Version() + 1}}, nil
	})
}
