package cmd

import (
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/catalogcache"
	"github.com/mallbots/mallbots/consumer"
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
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// service is one wired service: its HTTP routes and their OpenAPI fragment,
// its consumers and the events it publishes.
type service struct {
	name      string
	routes    func(httpapi.Router)
	openapi   []byte
	handlers  []consumer.Handler
	publishes []events.Event
}

// spec returns the service as the topology sees it.
func (s service) spec() broker.Service {
	topics := make([]string, len(s.publishes))
	for i, e := range s.publishes {
		topics[i] = e.EventName()
	}
	return broker.Service{Name: s.name, Publishes: topics, Consumes: consumer.Subscriptions(s.handlers...)}
}

// wiring is what a service's constructor needs. Constructors only store
// what they get, so `mallbots topology` can wire services with a nil DB.
type wiring struct {
	db     *postgres.DB
	logger *slog.Logger
	// bell is the process's outbox bell, which every service's outbox
	// rings when a transaction that wrote to it commits.
	bell *outbox.Bell
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
	h := stores.New(postgres.NewStores(w.db, outbox.New(stores.Service, w.bell)), correlation.NewID)
	return service{name: stores.Service, routes: h.Routes, openapi: stores.OpenAPI, publishes: stores.Publishes}
}

func wireCustomers(w wiring) service {
	const s = customers.Service
	outbox := outbox.New(s, w.bell)
	h := customers.New(postgres.NewCustomers(w.db, outbox), postgres.NewPublisher(w.db, outbox), correlation.NewID)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   customers.OpenAPI,
		publishes: customers.Publishes,
		handlers:  []consumer.Handler{consumer.On(s, h.OnAuthorizeCustomer)},
	}
}

func wireBaskets(w wiring) service {
	const s = baskets.Service
	cache := postgres.NewBasketsCache(w.db)
	h := baskets.New(postgres.NewBaskets(w.db, outbox.New(s, w.bell)), cache, cache, correlation.NewID)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   baskets.OpenAPI,
		publishes: baskets.Publishes,
		handlers: append(catalogConsumers(s, h.Consumers),
			consumer.On(s, h.OnCustomerRegistered),
			consumer.On(s, h.OnCustomerEnabled),
			consumer.On(s, h.OnCustomerDisabled),
			consumer.On(s, h.OnPaymentAuthorized),
			consumer.On(s, h.OnPaymentConfirmed),
			consumer.On(s, h.OnPaymentVoided),
		),
	}
}

// catalogConsumers lists the consumers that keep service's copy of the
// stores' catalog, each on its own queue "<service>.On<Event>".
func catalogConsumers(service string, c catalogcache.Consumers) []consumer.Handler {
	return []consumer.Handler{
		consumer.On(service, c.OnStoreCreated),
		consumer.On(service, c.OnStoreRebranded),
		consumer.On(service, c.OnProductAdded),
		consumer.On(service, c.OnProductRebranded),
		consumer.On(service, c.OnProductPriceIncreased),
		consumer.On(service, c.OnProductPriceDecreased),
		consumer.On(service, c.OnProductRemoved),
	}
}

func wirePayments(w wiring) service {
	const s = payments.Service
	outbox := outbox.New(s, w.bell)
	h := payments.New(postgres.NewPayments(w.db, outbox), postgres.NewPublisher(w.db, outbox), correlation.NewID)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   payments.OpenAPI,
		publishes: payments.Publishes,
		handlers: []consumer.Handler{
			consumer.On(s, h.OnConfirmPayment),
			consumer.On(s, h.OnVoidPayment),
			consumer.On(s, h.OnOrderReadied),
			consumer.On(s, h.OnOrderCanceled),
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
		handlers: []consumer.Handler{
			consumer.On(s, h.OnCustomerRegistered),
			consumer.On(s, h.OnCustomerSmsChanged),
			consumer.On(s, h.OnOrderCreated),
			consumer.On(s, h.OnOrderReadied),
			consumer.On(s, h.OnOrderCanceled),
			consumer.On(s, h.OnOrderCompleted),
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
		handlers: []consumer.Handler{
			consumer.On(s, h.OnCustomerRegistered),
			consumer.On(s, h.OnOrderCreated),
			consumer.On(s, h.OnOrderApproved),
			consumer.On(s, h.OnOrderRejected),
			consumer.On(s, h.OnOrderReadied),
			consumer.On(s, h.OnOrderCanceled),
			consumer.On(s, h.OnOrderCompleted),
		},
	}
}

func wireDepot(w wiring) service {
	const s = depot.Service
	outbox := outbox.New(s, w.bell)
	h := depot.New(postgres.NewDepot(w.db, outbox), postgres.NewDepotCache(w.db),
		postgres.NewPublisher(w.db, outbox), correlation.NewID, w.logger)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   depot.OpenAPI,
		publishes: depot.Publishes,
		handlers: []consumer.Handler{
			consumer.On(s, h.OnStoreCreated),
			consumer.On(s, h.OnStoreRebranded),
			consumer.On(s, h.OnCreateShoppingList),
			consumer.On(s, h.OnInitiateShopping),
			consumer.On(s, h.OnCancelShoppingList),
			consumer.On(s, h.OnOrderCanceled),
		},
	}
}

func wireOrders(w wiring) service {
	const s = orders.Service
	outbox := outbox.New(s, w.bell)
	h := orders.New(postgres.NewOrders(w.db, outbox, orders.Published), postgres.NewCatalogCache(w.db, s), postgres.NewPublisher(w.db, outbox),
		correlation.NewID, w.logger)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   orders.OpenAPI,
		publishes: orders.Publishes,
		handlers: append(catalogConsumers(s, h.Consumers),
			consumer.On(s, h.OnBasketCheckedOut),
			consumer.On(s, h.OnApproveOrder),
			consumer.On(s, h.OnRejectOrder),
			consumer.On(s, h.OnShoppingListCompleted),
			consumer.On(s, h.OnInvoicePaid),
		),
	}
}

func wireSaga(w wiring) service {
	const s = saga.Service
	h := saga.New(postgres.NewSagas(w.db, outbox.New(s, w.bell)), w.logger)
	return service{
		name:      s,
		routes:    h.Routes,
		openapi:   saga.OpenAPI,
		publishes: saga.Publishes,
		handlers: []consumer.Handler{
			consumer.On(s, h.OnOrderCreated),
			consumer.On(s, h.OnCreateOrderReply),
			consumer.On(s, h.OnOrderCanceled),
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
func topologyOf(services []service, deliveryLimit int, waits []time.Duration) broker.Topology {
	specs := make([]broker.Service, len(services))
	for i, s := range services {
		specs[i] = s.spec()
	}
	return broker.Plan(specs, deliveryLimit, waits)
}
