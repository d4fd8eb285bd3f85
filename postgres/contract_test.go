package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/internal/contract"
	"github.com/mallbots/mallbots/internal/testkit"
	"github.com/mallbots/mallbots/messaging"
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

// contractDB returns, for the subtests of one contract suite, a database
// migrated once and emptied of service's rows before each subtest: the
// subtests run one after the other, each on a fresh, empty repository, at
// the cost of one database per suite. The suite runs in parallel with the
// package's other tests.
func contractDB(t *testing.T, service string) func(t *testing.T) *postgres.DB {
	t.Helper()
	t.Parallel()
	db, _ := testkit.Database(t)
	return func(t *testing.T) *postgres.DB {
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
		return db
	}
}

// contractOutbox reads service's outbox as the contract suites compare it.
func contractOutbox(db *postgres.DB, service string) contract.Outbox {
	return func(t *testing.T) []contract.Published {
		var out []contract.Published
		for _, row := range readOutbox(t, db, service) {
			out = append(out, contract.Published{Name: row.DestinationTopic, Payload: string(row.Payload),
				CorrelationID: row.Metadata[messaging.CorrelationIDKey]})
		}
		return out
	}
}

func TestStoresKeepTheContract(t *testing.T) {
	fresh := contractDB(t, "stores")
	contract.RunStores(t, func(t *testing.T) contract.Stores {
		db := fresh(t)
		return contract.Stores{Repo: postgres.NewStores(db, messaging.NewOutbox("stores")), Outbox: contractOutbox(db, "stores")}
	})
}

func TestCustomersKeepTheContract(t *testing.T) {
	fresh := contractDB(t, "customers")
	contract.RunCustomers(t, func(t *testing.T) contract.Customers {
		db := fresh(t)
		return contract.Customers{Repo: postgres.NewCustomers(db, messaging.NewOutbox("customers")), Outbox: contractOutbox(db, "customers")}
	})
}

func TestPublisherKeepsTheContract(t *testing.T) {
	fresh := contractDB(t, "customers")
	contract.RunPublisher(t, func(t *testing.T) (contract.Publisher, contract.Outbox) {
		db := fresh(t)
		return postgres.NewPublisher(db, messaging.NewOutbox("customers")), contractOutbox(db, "customers")
	})
}

func TestBasketsKeepTheContract(t *testing.T) {
	fresh := contractDB(t, "baskets")
	contract.RunBaskets(t, func(t *testing.T) contract.Baskets {
		db := fresh(t)
		return contract.Baskets{Repo: postgres.NewBaskets(db, messaging.NewOutbox("baskets")), Outbox: contractOutbox(db, "baskets")}
	})
}

func TestPaymentsKeepTheContract(t *testing.T) {
	fresh := contractDB(t, "payments")
	contract.RunPayments(t, func(t *testing.T) contract.Payments {
		db := fresh(t)
		return contract.Payments{Repo: postgres.NewPayments(db, messaging.NewOutbox("payments")), Outbox: contractOutbox(db, "payments")}
	})
}

func TestSagasKeepTheContract(t *testing.T) {
	fresh := contractDB(t, "saga")
	contract.RunSagas(t, func(t *testing.T) contract.Sagas {
		db := fresh(t)
		return contract.Sagas{Repo: postgres.NewSagas(db, messaging.NewOutbox("saga")), Outbox: contractOutbox(db, "saga")}
	})
}

func TestOrdersKeepTheContract(t *testing.T) {
	fresh := contractDB(t, "orders")
	contract.RunOrders(t, func(t *testing.T) contract.OrdersRepository {
		return postgres.NewOrders(fresh(t), messaging.NewOutbox("orders"))
	})
}

func TestCatalogCachesKeepTheContract(t *testing.T) {
	for _, service := range []string{"baskets", "orders"} {
		t.Run(service, func(t *testing.T) {
			fresh := contractDB(t, service)
			contract.RunCatalogCache(t, func(t *testing.T) contract.CatalogCache {
				return postgres.NewCatalogCache(fresh(t), service)
			})
		})
	}
}

func TestDepotKeepsTheContract(t *testing.T) {
	fresh := contractDB(t, "depot")
	contract.RunDepot(t, func(t *testing.T) contract.Depot {
		db := fresh(t)
		return contract.Depot{Repo: postgres.NewDepot(db, messaging.NewOutbox("depot")), Outbox: contractOutbox(db, "depot")}
	})
}

func TestDepotCacheKeepsTheContract(t *testing.T) {
	fresh := contractDB(t, "depot")
	contract.RunDepotStoreCache(t, func(t *testing.T) contract.DepotStoreCache { return postgres.NewDepotCache(fresh(t)) })
}

func TestSearchKeepsTheContract(t *testing.T) {
	fresh := contractDB(t, "search")
	contract.RunSearch(t, func(t *testing.T) contract.SearchRepository { return postgres.NewSearch(fresh(t)) })
}

func TestNotificationsKeepTheContracts(t *testing.T) {
	fresh := contractDB(t, "notifications")
	contract.RunNotificationsCache(t, func(t *testing.T) contract.NotificationsCache {
		return postgres.NewNotificationsCache(fresh(t))
	})
	contract.RunNotificationSender(t, func(t *testing.T) contract.NotificationSender {
		return postgres.NewNotificationSender(fresh(t), testkit.Discard)
	})
}

func TestBasketsCacheKeepsTheContract(t *testing.T) {
	fresh := contractDB(t, "baskets")
	contract.RunBasketsCache(t, func(t *testing.T) contract.BasketsCache { return postgres.NewBasketsCache(fresh(t)) })
}
