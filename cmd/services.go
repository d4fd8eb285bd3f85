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

// service is a service's static spec: what every command needs to know of it
// without building it or touching a database, and build, which makes it.
// The topology (`mallbots topology` and what serve declares), the OpenAPI
// document, --service and replay's handler names all read specs; only Server
// builds services, each once, with real dependencies.
//
// Every service runs its outbox relay where it runs: the relay sends the
// service's events and prunes its inbox, which a service that publishes
// nothing (notifications, search) has too.
type service struct {
	name string
	// publishes are the events and commands it publishes: the topology's
	// exchanges it owns.
	publishes []events.Event
	// consumes are its consumers, each a queue named like the handler and
	// bound to the exchange of the topic it consumes.
	consumes []broker.Subscription
	// openapi is the OpenAPI fragment of its routes.
	openapi []byte
	// build makes the service over d: its routes and its consumers, whose
	// names and topics are those of consumes.
	build func(d deps) built
}

// built is a service made over its real dependencies.
type built struct {
	routes   func(httpapi.Router)
	handlers []consumer.Handler
}

// deps is what building a service takes; none of it may be nil.
type deps struct {
	db     *postgres.DB
	logger *slog.Logger
	// bell is the process's outbox bell, which every service's outbox
	// rings when a transaction that wrote to it commits.
	bell *outbox.Bell
}

// spec defines a service whose built form is an H: its static parts, its
// consumers as methods of H (consumer.Of((*baskets.Handlers).OnStoreCreated),
// which derives the handler name and topic from the event type) and the
// function that builds an H. The compiler checks that every consumer is a
// method of what build returns.
type spec[H interface{ Routes(httpapi.Router) }] struct {
	name      string
	publishes []events.Event
	openapi   []byte
	consumers []consumer.Def[H]
	build     func(deps) H
}

// service returns s as a service: consumes from its consumers' definitions,
// build binding the same definitions to the H it builds.
func (s spec[H]) service() service {
	subs := make([]broker.Subscription, len(s.consumers))
	for i, c := range s.consumers {
		subs[i] = c.Subscription(s.name)
	}
	return service{name: s.name, publishes: s.publishes, consumes: subs, openapi: s.openapi, build: func(d deps) built {
		h := s.build(d)
		handlers := make([]consumer.Handler, len(s.consumers))
		for i, c := range s.consumers {
			handlers[i] = c.Bind(s.name, h)
		}
		return built{routes: h.Routes, handlers: handlers}
	}}
}

// topology returns s as the broker topology sees it.
func (s service) topology() broker.Service {
	topics := make([]string, len(s.publishes))
	for i, e := range s.publishes {
		topics[i] = e.EventName()
	}
	return broker.Service{Name: s.name, Publishes: topics, Consumes: s.consumes}
}

// registry is every service's spec, in the order they start.
var registry = []service{
	spec[*stores.Handlers]{
		name: stores.Service, publishes: stores.Publishes, openapi: stores.OpenAPI,
		build: buildStores,
	}.service(),
	spec[*customers.Handlers]{
		name: customers.Service, publishes: customers.Publishes, openapi: customers.OpenAPI,
		consumers: []consumer.Def[*customers.Handlers]{
			consumer.Of((*customers.Handlers).OnAuthorizeCustomer),
		},
		build: buildCustomers,
	}.service(),
	spec[*baskets.Handlers]{
		name: baskets.Service, publishes: baskets.Publishes, openapi: baskets.OpenAPI,
		consumers: append(catalogConsumers(func(h *baskets.Handlers) catalogcache.Consumers { return h.Consumers }),
			consumer.Of((*baskets.Handlers).OnCustomerRegistered),
			consumer.Of((*baskets.Handlers).OnCustomerEnabled),
			consumer.Of((*baskets.Handlers).OnCustomerDisabled),
			consumer.Of((*baskets.Handlers).OnPaymentAuthorized),
			consumer.Of((*baskets.Handlers).OnPaymentConfirmed),
			consumer.Of((*baskets.Handlers).OnPaymentVoided),
		),
		build: buildBaskets,
	}.service(),
	spec[*orders.Handlers]{
		name: orders.Service, publishes: orders.Publishes, openapi: orders.OpenAPI,
		consumers: append(catalogConsumers(func(h *orders.Handlers) catalogcache.Consumers { return h.Consumers }),
			consumer.Of((*orders.Handlers).OnBasketCheckedOut),
			consumer.Of((*orders.Handlers).OnApproveOrder),
			consumer.Of((*orders.Handlers).OnRejectOrder),
			consumer.Of((*orders.Handlers).OnShoppingListCompleted),
			consumer.Of((*orders.Handlers).OnInvoicePaid),
		),
		build: buildOrders,
	}.service(),
	spec[*saga.Handlers]{
		name: saga.Service, publishes: saga.Publishes, openapi: saga.OpenAPI,
		consumers: []consumer.Def[*saga.Handlers]{
			consumer.Of((*saga.Handlers).OnOrderCreated),
			consumer.Of((*saga.Handlers).OnCreateOrderReply),
			consumer.Of((*saga.Handlers).OnOrderCanceled),
		},
		build: buildSaga,
	}.service(),
	spec[*payments.Handlers]{
		name: payments.Service, publishes: payments.Publishes, openapi: payments.OpenAPI,
		consumers: []consumer.Def[*payments.Handlers]{
			consumer.Of((*payments.Handlers).OnConfirmPayment),
			consumer.Of((*payments.Handlers).OnVoidPayment),
			consumer.Of((*payments.Handlers).OnOrderReadied),
			consumer.Of((*payments.Handlers).OnOrderCanceled),
		},
		build: buildPayments,
	}.service(),
	spec[*depot.Handlers]{
		name: depot.Service, publishes: depot.Publishes, openapi: depot.OpenAPI,
		consumers: []consumer.Def[*depot.Handlers]{
			consumer.Of((*depot.Handlers).OnStoreCreated),
			consumer.Of((*depot.Handlers).OnStoreRebranded),
			consumer.Of((*depot.Handlers).OnCreateShoppingList),
			consumer.Of((*depot.Handlers).OnInitiateShopping),
			consumer.Of((*depot.Handlers).OnCancelShoppingList),
			consumer.Of((*depot.Handlers).OnOrderCanceled),
		},
		build: buildDepot,
	}.service(),
	spec[*notifications.Handlers]{
		name: notifications.Service, publishes: notifications.Publishes, openapi: notifications.OpenAPI,
		consumers: []consumer.Def[*notifications.Handlers]{
			consumer.Of((*notifications.Handlers).OnCustomerRegistered),
			consumer.Of((*notifications.Handlers).OnCustomerSmsChanged),
			consumer.Of((*notifications.Handlers).OnOrderCreated),
			consumer.Of((*notifications.Handlers).OnOrderReadied),
			consumer.Of((*notifications.Handlers).OnOrderCanceled),
			consumer.Of((*notifications.Handlers).OnOrderCompleted),
		},
		build: buildNotifications,
	}.service(),
	spec[*search.Handlers]{
		name: search.Service, publishes: search.Publishes, openapi: search.OpenAPI,
		consumers: []consumer.Def[*search.Handlers]{
			consumer.Of((*search.Handlers).OnCustomerRegistered),
			consumer.Of((*search.Handlers).OnOrderCreated),
			consumer.Of((*search.Handlers).OnOrderApproved),
			consumer.Of((*search.Handlers).OnOrderRejected),
			consumer.Of((*search.Handlers).OnOrderReadied),
			consumer.Of((*search.Handlers).OnOrderCanceled),
			consumer.Of((*search.Handlers).OnOrderCompleted),
		},
		build: buildSearch,
	}.service(),
}

// catalogConsumers are the consumers that keep a service's copy of the
// stores' catalog, each on its own queue "<service>.On<Event>", run by the
// catalogcache.Consumers that cache returns of the service's H.
func catalogConsumers[H any](cache func(H) catalogcache.Consumers) []consumer.Def[H] {
	return consumer.Through(cache,
		consumer.Of(catalogcache.Consumers.OnStoreCreated),
		consumer.Of(catalogcache.Consumers.OnStoreRebranded),
		consumer.Of(catalogcache.Consumers.OnProductAdded),
		consumer.Of(catalogcache.Consumers.OnProductRebranded),
		consumer.Of(catalogcache.Consumers.OnProductPriceIncreased),
		consumer.Of(catalogcache.Consumers.OnProductPriceDecreased),
		consumer.Of(catalogcache.Consumers.OnProductRemoved),
	)
}

func buildStores(d deps) *stores.Handlers {
	return stores.New(postgres.NewStores(d.db, outbox.New(stores.Service, d.bell)), correlation.NewID)
}

func buildCustomers(d deps) *customers.Handlers {
	outbox := outbox.New(customers.Service, d.bell)
	return customers.New(postgres.NewCustomers(d.db, outbox), postgres.NewPublisher(d.db, outbox), correlation.NewID)
}

func buildBaskets(d deps) *baskets.Handlers {
	cache := postgres.NewBasketsCache(d.db)
	return baskets.New(postgres.NewBaskets(d.db, outbox.New(baskets.Service, d.bell)), cache, cache, correlation.NewID)
}

func buildOrders(d deps) *orders.Handlers {
	outbox := outbox.New(orders.Service, d.bell)
	return orders.New(postgres.NewOrders(d.db, outbox, orders.Published), postgres.NewCatalogCache(d.db, orders.Service),
		postgres.NewPublisher(d.db, outbox), correlation.NewID, d.logger)
}

func buildSaga(d deps) *saga.Handlers {
	return saga.New(postgres.NewSagas(d.db, outbox.New(saga.Service, d.bell)), d.logger)
}

func buildPayments(d deps) *payments.Handlers {
	outbox := outbox.New(payments.Service, d.bell)
	return payments.New(postgres.NewPayments(d.db, outbox), postgres.NewPublisher(d.db, outbox), correlation.NewID)
}

func buildDepot(d deps) *depot.Handlers {
	outbox := outbox.New(depot.Service, d.bell)
	return depot.New(postgres.NewDepot(d.db, outbox), postgres.NewDepotCache(d.db),
		postgres.NewPublisher(d.db, outbox), correlation.NewID, d.logger)
}

func buildNotifications(d deps) *notifications.Handlers {
	sender := postgres.NewNotificationSender(d.db, d.logger)
	return notifications.New(postgres.NewNotificationsCache(d.db), sender, sender, correlation.NewID)
}

func buildSearch(d deps) *search.Handlers {
	return search.New(postgres.NewSearch(d.db), time.Now)
}

// serviceNames lists every service name, in registry order.
func serviceNames() []string {
	names := make([]string, len(registry))
	for i, s := range registry {
		names[i] = s.name
	}
	return names
}

// selectServices returns the specs of the named services (all when names is
// empty), in registry order. An unknown name is a usage error listing the
// valid ones.
func selectServices(names []string) ([]service, error) {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var out []service
	for _, s := range registry {
		if len(names) == 0 || want[s.name] {
			out = append(out, s)
			delete(want, s.name)
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
		specs[i] = s.topology()
	}
	return broker.Plan(specs, deliveryLimit, waits)
}
