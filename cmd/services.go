package cmd

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/baskets"
	"github.com/mallbots/mallbots/handlers/customers"
	"github.com/mallbots/mallbots/handlers/stores"
	"github.com/mallbots/mallbots/messaging"
	"github.com/mallbots/mallbots/postgres"
)

// service is one wired service: its HTTP routes, its consumers and the
// events it publishes.
type service struct {
	name      string
	routes    func(*http.ServeMux)
	handlers  []messaging.Handler
	publishes []events.Event
}

// spec returns the service as the topology sees it.
func (s service) spec() messaging.Service {
	topics := make([]string, len(s.publishes))
	for i, e := range s.publishes {
		topics[i] = e.EventName()
	}
	return messaging.Service{Name: s.name, Publishes: topics, Handlers: s.handlers}
}

// wiring is what a service's constructor needs. Constructors only store
// what they get, so `mallbots topology` can wire services with a nil DB.
type wiring struct {
	db *postgres.DB
}

// registry lists every service, in the order they start, with one small
// wiring function each.
var registry = []struct {
	name string
	wire func(wiring) service
}{
	{stores.Service, wireStores},
	{customers.Service, wireCustomers},
	{baskets.Service, wireBaskets},
}

func wireStores(w wiring) service {
	h := stores.New(postgres.NewStores(w.db, messaging.NewOutbox(stores.Service)), correlation.NewID)
	return service{name: stores.Service, routes: h.Routes, publishes: stores.Publishes}
}

func wireCustomers(w wiring) service {
	h := customers.New(postgres.NewCustomers(w.db, messaging.NewOutbox(customers.Service)), correlation.NewID)
	return service{name: customers.Service, routes: h.Routes, publishes: customers.Publishes}
}

func wireBaskets(w wiring) service {
	h := baskets.New(postgres.NewBasketsCache(w.db))
	const s = baskets.Service
	return service{
		name:      s,
		routes:    func(*http.ServeMux) {},
		publishes: baskets.Publishes,
		handlers: []messaging.Handler{
			messaging.On(s, h.OnStoreCreated),
			messaging.On(s, h.OnStoreRebranded),
			messaging.On(s, h.OnProductAdded),
			messaging.On(s, h.OnProductRebranded),
			messaging.On(s, h.OnProductPriceIncreased),
			messaging.On(s, h.OnProductPriceDecreased),
			messaging.On(s, h.OnProductRemoved),
			messaging.On(s, h.OnCustomerRegistered),
			messaging.On(s, h.OnCustomerEnabled),
			messaging.On(s, h.OnCustomerDisabled),
		},
	}
}

// serviceNames lists every service name.
func serviceNames() []string {
	names := make([]string, len(registry))
	for i, r := range registry {
		names[i] = r.name
	}
	return names
}

// wireServices wires the named services (all when names is empty), in
// registry order. An unknown name is a usage error listing the valid ones.
func wireServices(names []string, w wiring) ([]service, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []service
	for _, r := range registry {
		if len(names) == 0 || want[r.name] {
			out = append(out, r.wire(w))
			delete(want, r.name)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for n := range want {
			unknown = append(unknown, n)
		}
		sort.Strings(unknown)
		return nil, UsageError{fmt.Errorf("unknown service %s; valid services are: %s",
			strings.Join(unknown, ", "), strings.Join(serviceNames(), ", "))}
	}
	return out, nil
}

// topologyOf plans the broker topology of services.
func topologyOf(services []service, deliveryLimit int) messaging.Topology {
	specs := make([]messaging.Service, len(services))
	for i, s := range services {
		specs[i] = s.spec()
	}
	return messaging.Plan(specs, deliveryLimit)
}

// isDomainRuleError classifies handler errors for the consumer router: a
// violated domain rule (invalid input, conflicting state) cannot be fixed by
// retrying. ErrNotFound is left transient: it usually means an event arrived
// before the one it depends on, which retries wait for.
func isDomainRuleError(err error) bool {
	return errors.Is(err, domain.ErrInvalid) || errors.Is(err, domain.ErrConflict)
}
