package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/broker"
	"github.com/mallbots/mallbots/handlers/orders"
	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/outbox"
	"github.com/mallbots/mallbots/postgres"
)

// The repositories hold the contracts of the handlers' interfaces
// (internal/contract), the same suites their in-memory fakes pass.
var (
	_ contract.StoresRepository    = (*postgres.Stores)(nil)
	_ contract.CustomersRepository = (*postgres.Customers)(nil)
	_ contract.Publisher           = (*postgres.Publisher)(nil)
	_ contract.BasketsRepository   = (*postgres.Baskets)(nil)
	_ contract.BasketsCache        = (*postgres.BasketsCache)(nil)
	_ contract.PaymentsRepository  = (*postgres.Payments)(nil)
	_ contract.SagaRepository      = (*postgres.Sagas)(nil)
	_ contract.OrdersRepository    = (*postgres.Orders)(nil)
	_ contract.CatalogCache        = (*postgres.CatalogCache)(nil)
	_ contract.DepotRepository     = (*postgres.Depot)(nil)
	_ contract.DepotStoreCache     = (*postgres.DepotCache)(nil)
	_ contract.SearchRepository    = (*postgres.Search)(nil)
	_ contract.NotificationsCache  = (*postgres.NotificationsCache)(nil)
	_ contract.NotificationSender  = (*postgres.NotificationSender)(nil)
)

// contractEnv is what a subtest of a contract suite gets: a database
// emptied of its service's rows, the service's outbox, and what that outbox
// holds.
type contractEnv struct {
	db        *postgres.DB
	outbox    postgres.Outbox
	published contract.Outbox
}

// contractDB returns, for the subtests of the contract suites of one
// service, its database migrated once and emptied of the service's rows
// before each subtest: the subtests run one after the other, each on a
// fresh, empty repository, at the cost of one database per service. The
// services' suites run in parallel with each other and the package's other
// tests.
func contractDB(t *testing.T, service string) func(t *testing.T) contractEnv {
	t.Helper()
	t.Parallel()
	db, _ := testkit.Database(t)
	env := contractEnv{db: db, outbox: outbox.New(service, nil), published: func(t *testing.T) []contract.Published {
		var out []contract.Published
		for _, row := range readOutbox(t, db, service) {
			out = append(out, contract.Published{Name: row.DestinationTopic, Payload: string(row.Payload),
				CorrelationID: row.Metadata[broker.CorrelationIDKey]})
		}
		return out
	}}
	return func(t *testing.T) contractEnv {
		t.Helper()
		ctx := context.Background()
		rows, err := db.Pool.Query(ctx, "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname = $1", service)
		if err != nil {
			t.Fatalf("list the %s tables: %v", service, err)
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("list the %s tables: %v", service, err)
		}
		for _, table := range tables {
			if _, err := db.Pool.Exec(ctx, "TRUNCATE "+table+" CASCADE"); err != nil {
				t.Fatalf("empty %s: %v", table, err)
			}
		}
		return env
	}
}

// opener returns the open func of a contract suite: the repository newRepo
// makes over a fresh database and its service's outbox, with what that
// outbox holds.
func opener[R any](fresh func(*testing.T) contractEnv, newRepo func(*postgres.DB, postgres.Outbox) R) func(*testing.T) (R, contract.Outbox) {
	return func(t *testing.T) (R, contract.Outbox) {
		e := fresh(t)
		return newRepo(e.db, e.outbox), e.published
	}
}

// over returns the open func of a cache's contract suite: the cache
// newCache makes over a fresh database.
func over[R any](fresh func(*testing.T) contractEnv, newCache func(*postgres.DB) R) func(*testing.T) R {
	return func(t *testing.T) R { return newCache(fresh(t).db) }
}

// TestRepositoriesKeepTheContracts runs each contract suite against the
// PostgreSQL implementation, the same suites the handlers' fakes pass.
func TestRepositoriesKeepTheContracts(t *testing.T) {
	t.Run("stores", func(t *testing.T) { contract.RunStores(t, opener(contractDB(t, "stores"), postgres.NewStores)) })
	t.Run("customers", func(t *testing.T) {
		fresh := contractDB(t, "customers")
		contract.RunCustomers(t, opener(fresh, postgres.NewCustomers))
		contract.RunPublisher(t, opener(fresh, postgres.NewPublisher))
	})
	t.Run("baskets", func(t *testing.T) {
		fresh := contractDB(t, "baskets")
		contract.RunBaskets(t, opener(fresh, postgres.NewBaskets))
		contract.RunCatalogCache(t, over(fresh, postgres.NewBasketsCache))
		contract.RunBasketsCache(t, over(fresh, postgres.NewBasketsCache))
	})
	t.Run("payments", func(t *testing.T) { contract.RunPayments(t, opener(contractDB(t, "payments"), postgres.NewPayments)) })
	t.Run("orders", func(t *testing.T) {
		fresh := contractDB(t, "orders")
		contract.RunOrders(t, func(t *testing.T) *postgres.Orders {
			e := fresh(t)
			return postgres.NewOrders(e.db, e.outbox, orders.Published)
		})
		contract.RunCatalogCache(t, func(t *testing.T) *postgres.CatalogCache { return postgres.NewCatalogCache(fresh(t).db, "orders") })
	})
	t.Run("saga", func(t *testing.T) { contract.RunSagas(t, opener(contractDB(t, "saga"), postgres.NewSagas)) })
	t.Run("depot", func(t *testing.T) {
		fresh := contractDB(t, "depot")
		contract.RunDepot(t, opener(fresh, postgres.NewDepot))
		contract.RunDepotStoreCache(t, over(fresh, postgres.NewDepotCache))
	})
	t.Run("search", func(t *testing.T) { contract.RunSearch(t, over(contractDB(t, "search"), postgres.NewSearch)) })
	t.Run("notifications", func(t *testing.T) {
		fresh := contractDB(t, "notifications")
		contract.RunNotificationsCache(t, over(fresh, postgres.NewNotificationsCache))
		contract.RunNotificationSender(t, func(t *testing.T) *postgres.NotificationSender {
			return postgres.NewNotificationSender(fresh(t).db, testkit.Discard)
		})
	})
}
