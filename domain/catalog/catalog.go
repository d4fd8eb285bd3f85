// Package catalog holds a service's local copies of other services' data:
// the stores, products and customers it learned about from their events
// (event-carried state transfer), so that it never calls another service.
// Baskets keeps all three; orders keeps the stores' catalog to price the
// orders it is asked for directly. The values are read models, not
// aggregates: they have no rules, and the stores and customers services own
// the truth.
package catalog

// Store is a store as the service last heard of it.
type Store struct {
	ID   string
	Name string
}

// Product is a product on sale as the service last heard of it. StoreName
// is "" while the store's own events have not arrived yet.
type Product struct {
	ID        string
	StoreID   string
	StoreName string
	Name      string
	// Price is in cents.
	Price int64
}

// Customer is a customer as the baskets service last heard of them; only an
// enabled customer may shop.
type Customer struct {
	ID      string
	Enabled bool
}
