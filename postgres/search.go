package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
)

// Search is the search service's read model in schema search: orders
// denormalised with their customer's name, and the customer names. Consumers
// of the orders and customers events write it; the search routes read it.
//
// Every write joins the transaction in ctx, so inside a consumer it joins the
// transaction that records the message in the inbox. Writes are idempotent
// and order-independent: customer names are version-guarded and an order's
// status only moves to a higher rank (domain/orderstatus), because each
// event type reaches the read model through a queue of its own.
type Search struct {
	db *DB
}

// NewSearch returns the search read model.
func NewSearch(db *DB) *Search { return &Search{db: db} }

// itemJSON is an order item as stored in search.orders.items.
type itemJSON struct {
	StoreID     string `json:"storeId"`
	StoreName   string `json:"storeName"`
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Price       int64  `json:"price"`
	Quantity    int    `json:"quantity"`
}

// SetCustomerName records that customer id is called name as of version
// (from CustomerRegistered) and writes the name into the customer's orders
// already in the read model. An older or equal version changes nothing.
//
// It pairs with AddOrder, which locks the customer's row before it reads the
// name: whichever of the two transactions comes second sees the other's
// commit, so an order never keeps an empty name because its customer
// registered at the same moment.
func (s *Search) SetCustomerName(ctx context.Context, id, name string, version int64) error {
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		var stored string
		err := tx.QueryRow(ctx, `
			INSERT INTO search.customers AS c (id, name, name_version) VALUES ($1, $2, $3)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_version = excluded.name_version, updated_at = now()
			WHERE c.name_version < excluded.name_version
			RETURNING name`, id, name, version).Scan(&stored)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // stale or duplicate: the stored name is as new or newer
		}
		if err != nil {
			return fmt.Errorf("cache name of customer %s: %w", id, err)
		}
		// A statement of its own, so that its snapshot is taken after the
		// upsert above waited for any order transaction holding the row.
		if _, err := tx.Exec(ctx, `
			UPDATE search.orders SET customer_name = $2 WHERE customer_id = $1 AND customer_name <> $2`,
			id, stored); err != nil {
			return fmt.Errorf("write name of customer %s into their orders: %w", id, err)
		}
		return nil
	})
}

// AddOrder inserts o (from OrderCreated) with the name of its customer as
// cached now ("" until CustomerRegistered arrives, which then fills it in).
// An order already in the read model (a redelivery, possibly under another
// message ID) is left as it is.
func (s *Search) AddOrder(ctx context.Context, o ordersearch.Order) error {
	items := make([]itemJSON, len(o.Items))
	for i, it := range o.Items {
		items[i] = itemJSON(it)
	}
	itemsJSON, err := json.Marshal(items)
	if err != nil {
		return fmt.Errorf("encode items of order %s: %w", o.ID, err)
	}
	return s.db.Transact(ctx, func(ctx context.Context, tx pgx.Tx) error {
		// Make sure the customer has a row (a placeholder while they are not
		// registered) and share-lock it while reading the name: a concurrent
		// SetCustomerName then waits for this insert to commit, or this read
		// waits for its name. See SetCustomerName.
		if _, err := tx.Exec(ctx, `
			INSERT INTO search.customers (id, name, name_version) VALUES ($1, '', 0) ON CONFLICT (id) DO NOTHING`,
			o.CustomerID); err != nil {
			return fmt.Errorf("reserve customer %s of order %s: %w", o.CustomerID, o.ID, err)
		}
		var name string
		if err := tx.QueryRow(ctx, "SELECT name FROM search.customers WHERE id = $1 FOR SHARE", o.CustomerID).
			Scan(&name); err != nil {
			return fmt.Errorf("read name of customer %s: %w", o.CustomerID, err)
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO search.orders (order_id, customer_id, customer_name, items, store_ids, product_ids,
				total, status, status_rank, reason, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
			ON CONFLICT (order_id) DO NOTHING`,
			o.ID, o.CustomerID, name, itemsJSON, o.StoreIDs(), o.ProductIDs(),
			o.Total, o.Status.String(), o.Status.Rank(), o.Reason, o.CreatedAt, o.UpdatedAt)
		if err != nil {
			return fmt.Errorf("insert order %s: %w", o.ID, err)
		}
		return nil
	})
}

// SetStatus moves order id to status as of at, with reason (why it was
// rejected; "" otherwise), when status outranks the stored one. A stale or
// duplicate event (the order is at that rank or beyond) changes nothing and
// succeeds. When the order is not in the read model (the event overtook
// OrderCreated) the error wraps domain.ErrNotFound, so the consumer retries.
func (s *Search) SetStatus(ctx context.Context, id string, status orderstatus.Status, reason string, at time.Time) error {
	_, err := s.db.guardedUpdate(ctx, "search.orders", "order_id", `
		UPDATE search.orders SET status = $2, status_rank = $3, reason = $4, updated_at = $5
		WHERE order_id = $1 AND status_rank < $3`,
		"order %s is not in the search read model yet (its OrderCreated has not been handled)",
		id, status.String(), status.Rank(), reason, at)
	return err
}

const searchColumns = `order_id, customer_id, customer_name, items, total, status, reason, created_at, updated_at`

// Order returns order id, or an error wrapping domain.ErrNotFound.
func (s *Search) Order(ctx context.Context, id string) (ordersearch.Order, error) {
	o, err := scanSearchOrder(s.db.conn(ctx).QueryRow(ctx, "SELECT "+searchColumns+" FROM search.orders WHERE order_id = $1", id))
	if err != nil {
		return ordersearch.Order{}, notFound(err, "order", id)
	}
	return o, nil
}

// Search returns the page of orders q asks for: those matching q.Filter,
// newest first (by creation time, then ID), strictly after q.Cursor, at most
// q.Limit. Page.Next is the position after the page's last order when more
// orders match, zero otherwise. The keyset condition uses the same order as
// the sort, so paging never repeats or skips an order that was there when
// the first page was read.
func (s *Search) Search(ctx context.Context, q ordersearch.Query) (ordersearch.Page, error) {
	where, args := searchConditions(q)
	sql := "SELECT " + searchColumns + " FROM search.orders"
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	// One row more than the page tells whether another page follows.
	sql += " ORDER BY created_at DESC, order_id DESC LIMIT @limit"
	args["limit"] = q.Limit + 1

	rows, err := s.db.conn(ctx).Query(ctx, sql, args)
	if err != nil {
		return ordersearch.Page{}, fmt.Errorf("search orders: %w", err)
	}
	defer rows.Close()
	page := ordersearch.Page{Orders: []ordersearch.Order{}}
	for rows.Next() {
		o, err := scanSearchOrder(rows)
		if err != nil {
			return ordersearch.Page{}, fmt.Errorf("search orders: %w", err)
		}
		page.Orders = append(page.Orders, o)
	}
	if err := rows.Err(); err != nil {
		return ordersearch.Page{}, fmt.Errorf("search orders: %w", err)
	}
	if len(page.Orders) > q.Limit {
		page.Orders = page.Orders[:q.Limit]
		page.Next = ordersearch.CursorAt(page.Orders[q.Limit-1])
	}
	return page, nil
}

// searchConditions turns q's filter and cursor into SQL conditions over
// named arguments.
func searchConditions(q ordersearch.Query) ([]string, pgx.NamedArgs) {
	f := q.Filter
	var where []string
	args := pgx.NamedArgs{}
	add := func(cond, name string, value any) {
		where = append(where, cond)
		args[name] = value
	}
	if f.CustomerID != "" {
		add("customer_id = @customer", "customer", f.CustomerID)
	}
	if len(f.StoreIDs) > 0 {
		add("store_ids && @stores::uuid[]", "stores", f.StoreIDs)
	}
	if len(f.ProductIDs) > 0 {
		add("product_ids && @products::uuid[]", "products", f.ProductIDs)
	}
	if !f.Status.IsZero() {
		add("status = @status", "status", f.Status.String())
	}
	if f.MinTotal != nil {
		add("total >= @min_total", "min_total", *f.MinTotal)
	}
	if f.MaxTotal != nil {
		add("total <= @max_total", "max_total", *f.MaxTotal)
	}
	if !f.After.IsZero() {
		add("created_at >= @after", "after", f.After)
	}
	if !f.Before.IsZero() {
		add("created_at < @before", "before", f.Before)
	}
	if !q.Cursor.IsZero() {
		where = append(where, "(created_at, order_id) < (@cursor_at, @cursor_id::uuid)")
		args["cursor_at"], args["cursor_id"] = q.Cursor.CreatedAt, q.Cursor.OrderID
	}
	return where, args
}

func scanSearchOrder(row pgx.Row) (ordersearch.Order, error) {
	var o ordersearch.Order
	var itemsJSON []byte
	var status string
	if err := row.Scan(&o.ID, &o.CustomerID, &o.CustomerName, &itemsJSON, &o.Total, &status, &o.Reason,
		&o.CreatedAt, &o.UpdatedAt); err != nil {
		return ordersearch.Order{}, err
	}
	var items []itemJSON
	if err := json.Unmarshal(itemsJSON, &items); err != nil {
		return ordersearch.Order{}, fmt.Errorf("decode items of order %s: %w", o.ID, err)
	}
	o.Items = make([]ordersearch.Item, len(items))
	for i, it := range items {
		o.Items[i] = ordersearch.Item(it)
	}
	st, err := orderstatus.Parse(status)
	if err != nil {
		// The table's CHECK allows only known statuses: a bug, not bad input.
		return ordersearch.Order{}, fmt.Errorf("order %s has status %q: %s", o.ID, status, err.Error())
	}
	o.Status = st
	o.CreatedAt, o.UpdatedAt = o.CreatedAt.UTC(), o.UpdatedAt.UTC()
	return o, nil
}
