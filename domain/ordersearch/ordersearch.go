// Package ordersearch is the search service's read model of orders: each
// order denormalised with its customer's name, its items (with store and
// product names) and its latest status, and the criteria and keyset cursor
// to page through them newest first. The values are read models, not
// aggregates: the orders and customers services own the truth, and these
// are rebuilt from their events.
package ordersearch

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/orderstatus"
)

// Order is an order as the search service last heard of it.
type Order struct {
	ID         string
	CustomerID string
	// CustomerName is "" until the customer's CustomerRegistered arrives.
	CustomerName string
	Items        []Item
	// Total is in cents.
	Total  int64
	Status orderstatus.Status
	// Reason says why the order was rejected; "" otherwise.
	Reason string
	// CreatedAt is when the orders service created the order; UpdatedAt when
	// it last changed its status (both from the events' IDs, UUIDv7).
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Item is one line of an order, with the names the store and product had
// when the customer bought it. Price is in cents.
type Item struct {
	StoreID     string
	StoreName   string
	ProductID   string
	ProductName string
	Price       int64
	Quantity    int
}

// StoreIDs returns the distinct stores o's items come from, in item order.
func (o Order) StoreIDs() []string {
	return distinct(o.Items, func(it Item) string { return it.StoreID })
}

// ProductIDs returns the distinct products o's items are, in item order.
func (o Order) ProductIDs() []string {
	return distinct(o.Items, func(it Item) string { return it.ProductID })
}

func distinct(items []Item, key func(Item) string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, it := range items {
		if k := key(it); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// Filter selects orders; every criterion set must hold (AND), and the zero
// Filter selects every order. IDs are canonical lowercase UUIDs (transports
// check their syntax).
type Filter struct {
	// CustomerID keeps the customer's orders.
	CustomerID string
	// StoreIDs keeps orders with at least one item from any of these stores.
	StoreIDs []string
	// ProductIDs keeps orders with at least one of these products.
	ProductIDs []string
	// Status keeps orders in this status; the zero Status means any.
	Status orderstatus.Status
	// MinTotal and MaxTotal (cents, both inclusive) bound the total; nil
	// means unbounded.
	MinTotal, MaxTotal *int64
	// After (inclusive) and Before (exclusive) bound the creation time; zero
	// means unbounded. The half-open range lets consecutive windows tile time
	// without overlap or gap.
	After, Before time.Time
}

var (
	// ErrTotalRange (kind domain.ErrInvalid): MinTotal is above MaxTotal or
	// a bound is negative.
	ErrTotalRange = fmt.Errorf("%w: total range is empty", domain.ErrInvalid)
	// ErrTimeRange (kind domain.ErrInvalid): After is not before Before.
	ErrTimeRange = fmt.Errorf("%w: time range is empty", domain.ErrInvalid)
	// ErrBadCursor (kind domain.ErrInvalid): a cursor this package did not
	// make.
	ErrBadCursor = fmt.Errorf("%w: cursor is not one this search returned", domain.ErrInvalid)
	// ErrLimit (kind domain.ErrInvalid): a page size outside 1..MaxLimit.
	ErrLimit = fmt.Errorf("%w: limit is out of range", domain.ErrInvalid)
)

// Validate checks the criteria that depend on each other: a negative total
// bound or MinTotal above MaxTotal (ErrTotalRange); After not before Before
// (ErrTimeRange). Such a filter would select nothing, which a client never
// means.
func (f Filter) Validate() error {
	for _, b := range []*int64{f.MinTotal, f.MaxTotal} {
		if b != nil && *b < 0 {
			return fmt.Errorf("%w: a total bound is negative (%d cents)", ErrTotalRange, *b)
		}
	}
	if f.MinTotal != nil && f.MaxTotal != nil && *f.MinTotal > *f.MaxTotal {
		return fmt.Errorf("%w: minimum %d cents is above maximum %d cents", ErrTotalRange, *f.MinTotal, *f.MaxTotal)
	}
	if !f.After.IsZero() && !f.Before.IsZero() && !f.After.Before(f.Before) {
		return fmt.Errorf("%w: after %s is not before %s", ErrTimeRange,
			f.After.Format(time.RFC3339Nano), f.Before.Format(time.RFC3339Nano))
	}
	return nil
}

// Page sizes.
const (
	// DefaultLimit is the page size when the client gives none.
	DefaultLimit = 20
	// MaxLimit is the largest page a client may ask for.
	MaxLimit = 100
)

// Query is one page of a search: the orders Filter selects, newest first,
// starting after Cursor (the first page when Cursor is zero), at most Limit
// of them.
type Query struct {
	Filter Filter
	Cursor Cursor
	Limit  int
}

// NewQuery validates f and limit (0 means DefaultLimit; otherwise 1 to
// MaxLimit, else ErrLimit) and returns the query for the page after cursor.
func NewQuery(f Filter, cursor Cursor, limit int) (Query, error) {
	if err := f.Validate(); err != nil {
		return Query{}, err
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return Query{}, fmt.Errorf("%w: %d, want 1 to %d", ErrLimit, limit, MaxLimit)
	}
	return Query{Filter: f, Cursor: cursor, Limit: limit}, nil
}

// Page is one page of results. Next is the cursor of the page after it, zero
// when this is the last page.
type Page struct {
	Orders []Order
	Next   Cursor
}

// Cursor is a position in the newest-first order of the search results: the
// creation time and ID of the last order of a page. The next page holds the
// orders strictly after it in that order (older, or as old with a smaller
// ID). Since the position is a value, not an offset, orders created while a
// client pages are not shifted into pages it already read and nothing is
// returned twice. The zero Cursor is the start.
type Cursor struct {
	CreatedAt time.Time
	OrderID   string
}

// CursorAt returns the cursor just after o.
func CursorAt(o Order) Cursor { return Cursor{CreatedAt: o.CreatedAt, OrderID: o.ID} }

// IsZero reports whether c is the start.
func (c Cursor) IsZero() bool { return c.OrderID == "" }

// cursorVersion prefixes every encoded cursor, so the format can change
// without misreading old cursors.
const cursorVersion = "1"

// String encodes c as an opaque, URL-safe token ("" for the zero Cursor).
// Clients hand it back unchanged; ParseCursor reads it.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	raw := cursorVersion + ":" + strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + c.OrderID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor reads a token String made; "" is the zero Cursor. Anything
// else is an error wrapping ErrBadCursor. The time is kept to the
// microsecond, PostgreSQL's precision.
func ParseCursor(token string) (Cursor, error) {
	if token == "" {
		return Cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != cursorVersion || !isCanonicalID(parts[2]) {
		return Cursor{}, ErrBadCursor
	}
	micros, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{CreatedAt: time.UnixMicro(micros).UTC(), OrderID: parts[2]}, nil
}

// isCanonicalID reports whether s is an ID (domain.ParseID) in canonical
// lowercase form, the only form String writes.
func isCanonicalID(s string) bool {
	id, ok := domain.ParseID(s)
	return ok && id == s
}
