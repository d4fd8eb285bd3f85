// Package catalog holds a service's local copies of other services' data:
// the stores, products, customers and payment authorizations it learned
// about from their events (event-carried state transfer), so that it never
// calls another service. Baskets keeps all four; orders keeps the stores'
// catalog to price the orders it is asked for directly. The values are read
// models, not aggregates: they have no rules, and the stores, customers and
// payments services own the truth.
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

// Payment is a payment authorization as the baskets service last heard of
// it. Payments confirms an authorization for one order at most and never
// uses a voided one, so one with an order or voided pays for nothing new.
type Payment struct {
	ID string
	// CustomerID is who authorized it; "" while only later events about it
	// have arrived.
	CustomerID string
	// OrderID is the order it was confirmed for; "" while unused.
	OrderID string
	// Voided: the authorization was released and cannot be used again.
	Voided bool
}
