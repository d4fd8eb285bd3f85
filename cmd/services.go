package cmd

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/correlation"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/baskets"
	"github.com/mallbots/mallbots/handlers/customers"
	"github.com/mallbots/mallbots/handlers/depot"
	"github.com/mallbots/mallbots/handlers/notifications"
	"github.com/mallbots/mallbots/handlers/orders"
	"github.com/mallbots/mallbots/handlers/payments"
	"github.com/mallbots/mallbots/handlers/saga"
	"github.com/mallbots/mallbots/handlers/search"
	"github.com/mallbots/mallbots/handlers/stores"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/messaging"
	"github.com/mallbots/mallbots/postgres"
)

// service is one wired service: its HTTP routes and their OpenAPI fragment,
// its consumers and the events it publishes.
type service struct {
	name      string
	routes    func(httpapi.Router)
	openapi   []byte
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
	db     *postgres.DB
	logger *slog.Logger
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
	{orders.Service, wireOrders},
	{saga.Service, wireSaga},
	{payments.Service, wirePayments},
	{depot.Service, wireDepot},
	{notifications.Service, wireNotifications},
	{search.Service, wireSearch},
}

func wireStores(w wiring) service {
	h := stores.New(postgres.NewStores(w.db, messaging.NewOutbox(stores.Service)), correlation.NewID)
	return service{name: stores.Service, routes: h.Routes, openapi: stores.OpenAPI, publishes: stores.Publishes}
}

func wireCustomers(w wiring) service {
	const s = customers.Service
	outbox := messaging.NewOutbox(s)
	h := customers.New(postgres.NewCustomers(w.db, outbox), postgres.NewPublisher(w.db, outbox), correlation.NewID)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   customers.OpenAPI,
		publishes: customers.Publishes,
		handlers:  []messaging.Handler{messaging.On(s, h.OnAuthorizeCustomer)},
	}
}

func wireBaskets(w wiring) service {
	const s = baskets.Service
	cache := postgres.NewBasketsCache(w.db)
	h := baskets.New(postgres.NewBaskets(w.db, messaging.NewOutbox(s)), cache, cache, correlation.NewID)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   baskets.OpenAPI,
		publishes: baskets.Publishes,
		handlers: append(catalogConsumers(s, h.Consumers),
			messaging.On(s, h.OnCustomerRegistered),
			messaging.On(s, h.OnCustomerEnabled),
			messaging.On(s, h.OnCustomerDisabled),
			messaging.On(s, h.OnPaymentAuthorized),
			messaging.On(s, h.OnPaymentConfirmed),
			messaging.On(s, h.OnPaymentVoided),
		),
	}
}

// catalogConsumers lists the consumers that keep service's copy of the
// stores' catalog, each on its own queue "<service>.On<Event>".
func catalogConsumers(service string, c catalogcache.Consumers) []messaging.Handler {
	return []messaging.Handler{
		messaging.On(service, c.OnStoreCreated),
		messaging.On(service, c.OnStoreRebranded),
		messaging.On(service, c.OnProductAdded),
		messaging.On(service, c.OnProductRebranded),
		messaging.On(service, c.OnProductPriceIncreased),
		messaging.On(service, c.OnProductPriceDecreased),
		messaging.On(service, c.OnProductRemoved),
	}
}

func wirePayments(w wiring) service {
	const s = payments.Service
	outbox := messaging.NewOutbox(s)
	h := payments.New(postgres.NewPayments(w.db, outbox), postgres.NewPublisher(w.db, outbox), correlation.NewID)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   payments.OpenAPI,
		publishes: payments.Publishes,
		handlers: []messaging.Handler{
			messaging.On(s, h.OnConfirmPayment),
			messaging.On(s, h.OnVoidPayment),
			messaging.On(s, h.OnOrderReadied),
			messaging.On(s, h.OnOrderCanceled),
		},
	}
}

func wireNotifications(w wiring) service {
	sender := postgres.NewNotificationSender(w.db, w.logger)
	h := notifications.New(postgres.NewNotificationsCache(w.db), sender, sender, correlation.NewID)
	const s = notifications.Service
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   notifications.OpenAPI,
		publishes: notifications.Publishes,
		handlers: []messaging.Handler{
			messaging.On(s, h.OnCustomerRegistered),
			messaging.On(s, h.OnCustomerSmsChanged),
			messaging.On(s, h.OnOrderCreated),
			messaging.On(s, h.OnOrderReadied),
			messaging.On(s, h.OnOrderCanceled),
			messaging.On(s, h.OnOrderCompleted),
		},
	}
}

func wireSearch(w wiring) service {
	h := search.New(postgres.NewSearch(w.db), time.Now)
	const s = search.Service
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   search.OpenAPI,
		publishes: search.Publishes,
		handlers: []messaging.Handler{
			messaging.On(s, h.OnCustomerRegistered),
			messaging.On(s, h.OnOrderCreated),
			messaging.On(s, h.OnOrderApproved),
			messaging.On(s, h.OnOrderRejected),
			messaging.On(s, h.OnOrderReadied),
			messaging.On(s, h.OnOrderCanceled),
			messaging.On(s, h.OnOrderCompleted),
		},
	}
}

func wireDepot(w wiring) service {
	const s = depot.Service
	outbox := messaging.NewOutbox(s)
	h := depot.New(postgres.NewDepot(w.db, outbox), postgres.NewDepotCache(w.db),
		postgres.NewPublisher(w.db, outbox), correlation.NewID, w.logger)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   depot.OpenAPI,
		publishes: depot.Publishes,
		handlers: []messaging.Handler{
			messaging.On(s, h.OnStoreCreated),
			messaging.On(s, h.OnStoreRebranded),
			messaging.On(s, h.OnCreateShoppingList),
			messaging.On(s, h.OnInitiateShopping),
			messaging.On(s, h.OnCancelShoppingList),
			messaging.On(s, h.OnOrderCanceled),
		},
	}
}

func wireOrders(w wiring) service {
	const s = orders.Service
	outbox := messaging.NewOutbox(s)
	h := orders.New(postgres.NewOrders(w.db, outbox, orders.Published), postgres.NewCatalogCache(w.db, s), postgres.NewPublisher(w.db, outbox),
		correlation.NewID, w.logger)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   orders.OpenAPI,
		publishes: orders.Publishes,
		handlers: append(catalogConsumers(s, h.Consumers),
			messaging.On(s, h.OnBasketCheckedOut),
			messaging.On(s, h.OnApproveOrder),
			messaging.On(s, h.OnRejectOrder),
			messaging.On(s, h.OnShoppingListCompleted),
			messaging.On(s, h.OnInvoicePaid),
		),
	}
}

func wireSaga(w wiring) service {
	const s = saga.Service
	h := saga.New(postgres.NewSagas(w.db, messaging.NewOutbox(s)), w.logger)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   saga.OpenAPI,
		publishes: saga.Publishes,
		handlers: []messaging.Handler{
			messaging.On(s, h.OnOrderCreated),
			messaging.On(s, h.OnCreateOrderReply),
			messaging.On(s, h.OnOrderCanceled),
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

// topologyOf plans the broker topology of services, with a wait queue per
// delay of waits for each service that consumes.
func topologyOf(services []service, deliveryLimit int, waits []time.Duration) messaging.Topology {
	specs := make([]messaging.Service, len(services))
	for i, s := range services {
		specs[i] = s.spec()
	}
	return messaging.Plan(specs, deliveryLimit, waits)
}
