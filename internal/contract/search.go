package contract

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
)

// SearchRepository is handlers/search's read model (postgres.Search).
type SearchRepository interface {
	SetCustomerName(ctx context.Context, id, name string, version int64) error
	AddOrder(ctx context.Context, o ordersearch.Order) error
	SetStatus(ctx context.Context, id string, status orderstatus.Status, reason string, at time.Time) error
	Order(ctx context.Context, id string) (ordersearch.Order, error)
	Search(ctx context.Context, q ordersearch.Query) (ordersearch.Page, error)
}

// RunSearch holds the search read model to its contract:
//
//   - AddOrder stores an order with its customer's name as cached ("" until
//     it is); an order already there is left as it is. Order returns it, or
//     domain.ErrNotFound.
//   - SetCustomerName caches a name, guarded by version, and writes it into
//     the customer's orders, even one added at the same moment.
//   - SetStatus moves an order to a status of higher rank only, with its
//     reason and time; domain.ErrNotFound while the order is not there.
//   - Search returns the orders every criterion of the filter selects,
//     newest first (creation time, then ID), a page of at most the limit at
//     a time after the cursor; Next is set when more match, and paging never
//     repeats or skips an order, whatever is added meanwhile.
func RunSearch[R SearchRepository](t *testing.T, open func(*testing.T) R) {
	t.Run("an order keeps what it was built from; an unknown one is not found", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		storeA, storeB, p1, p2 := newID(), newID(), newID(), newID()
		o := ordersearch.Order{
			ID: newID(), CustomerID: newID(), Total: 2*499 + 1250,
			Items: []ordersearch.Item{
				{StoreID: storeA, StoreName: "Waffles", ProductID: p1, ProductName: "Syrup", Price: 499, Quantity: 2},
				{StoreID: storeB, StoreName: "Robo Parts", ProductID: p2, ProductName: "Servo", Price: 1250, Quantity: 1},
			},
			Status: orderstatus.Pending, CreatedAt: t0.Add(123 * time.Millisecond), UpdatedAt: t0.Add(123 * time.Millisecond),
		}
		_, err := s.Order(ctx, o.ID)
		assertKind(t, err, domain.ErrNotFound)
		must(t, "AddOrder", s.AddOrder(ctx, o))
		if got := mustOrder(t, s, o.ID); !reflect.DeepEqual(got, o) {
			t.Errorf("order = %+v\nwant    %+v", got, o)
		}
	})

	t.Run("AddOrder leaves an order already there as it is", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		o := pendingOrder(newID(), 1000, 0, newID(), newID())
		must(t, "AddOrder", s.AddOrder(ctx, o))
		must(t, "SetStatus", s.SetStatus(ctx, o.ID, orderstatus.Approved, "", t0.Add(time.Minute)))

		// OrderCreated again (a redelivery under another message ID) does not
		// reset the order.
		again := o
		again.Total = 1
		must(t, "AddOrder", s.AddOrder(ctx, again))
		got := mustOrder(t, s, o.ID)
		if got.Total != 1000 || got.Status != orderstatus.Approved {
			t.Errorf("order = %+v, want it untouched by the second OrderCreated", got)
		}
	})

	t.Run("SetStatus only moves an order to a higher rank", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		unknown := newID()
		assertKind(t, s.SetStatus(ctx, unknown, orderstatus.Approved, "", t0), domain.ErrNotFound)

		at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		type step struct {
			status orderstatus.Status
			reason string
			at     time.Time
		}
		tests := []struct {
			name  string
			steps []step
			want  step
		}{
			{"in order", []step{{orderstatus.Approved, "", at(1)}, {orderstatus.Ready, "", at(2)}, {orderstatus.Completed, "", at(3)}},
				step{orderstatus.Completed, "", at(3)}},
			{"completed overtakes ready", []step{{orderstatus.Approved, "", at(1)}, {orderstatus.Completed, "", at(3)}, {orderstatus.Ready, "", at(2)}},
				step{orderstatus.Completed, "", at(3)}},
			{"everything reversed", []step{{orderstatus.Completed, "", at(3)}, {orderstatus.Ready, "", at(2)}, {orderstatus.Approved, "", at(1)}},
				step{orderstatus.Completed, "", at(3)}},
			{"rejected with its reason", []step{{orderstatus.Rejected, "payment declined", at(1)}},
				step{orderstatus.Rejected, "payment declined", at(1)}},
			{"rejected is terminal", []step{{orderstatus.Rejected, "payment declined", at(1)}, {orderstatus.Approved, "", at(2)}, {orderstatus.Canceled, "", at(3)}},
				step{orderstatus.Rejected, "payment declined", at(1)}},
			{"canceled after approved", []step{{orderstatus.Approved, "", at(1)}, {orderstatus.Canceled, "", at(2)}},
				step{orderstatus.Canceled, "", at(2)}},
			{"canceled overtakes approved", []step{{orderstatus.Canceled, "", at(2)}, {orderstatus.Approved, "", at(1)}},
				step{orderstatus.Canceled, "", at(2)}},
			{"duplicates", []step{{orderstatus.Approved, "", at(1)}, {orderstatus.Approved, "", at(5)}},
				step{orderstatus.Approved, "", at(1)}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				o := pendingOrder(newID(), 1000, 0)
				must(t, "AddOrder", s.AddOrder(ctx, o))
				for _, st := range tt.steps {
					must(t, "SetStatus", s.SetStatus(ctx, o.ID, st.status, st.reason, st.at))
				}
				got := mustOrder(t, s, o.ID)
				if got.Status != tt.want.status || got.Reason != tt.want.reason || !got.UpdatedAt.Equal(tt.want.at) || !got.CreatedAt.Equal(t0) {
					t.Errorf("order is %s (%q) updated %s, created %s; want %s (%q) updated %s, created %s",
						got.Status, got.Reason, got.UpdatedAt, got.CreatedAt, tt.want.status, tt.want.reason, tt.want.at, t0)
				}
			})
		}
	})

	t.Run("SetCustomerName is version-guarded and names the customer in their orders", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		ada, bob := newID(), newID()

		early := pendingOrder(ada, 100, 0)
		must(t, "AddOrder", s.AddOrder(ctx, early))
		if got := mustOrder(t, s, early.ID).CustomerName; got != "" {
			t.Errorf("name before registration = %q, want empty", got)
		}
		must(t, "SetCustomerName", s.SetCustomerName(ctx, ada, "Ada", 1))
		must(t, "SetCustomerName", s.SetCustomerName(ctx, ada, "Not Ada", 1)) // same version: a duplicate
		late := pendingOrder(ada, 200, 1)
		must(t, "AddOrder", s.AddOrder(ctx, late))
		other := pendingOrder(bob, 300, 2)
		must(t, "AddOrder", s.AddOrder(ctx, other))

		for id, want := range map[string]string{early.ID: "Ada", late.ID: "Ada", other.ID: ""} {
			if got := mustOrder(t, s, id).CustomerName; got != want {
				t.Errorf("order %s customer name = %q, want %q", id, got, want)
			}
		}
		must(t, "SetCustomerName", s.SetCustomerName(ctx, ada, "Ada L.", 2))
		must(t, "SetCustomerName", s.SetCustomerName(ctx, ada, "Ada", 1)) // stale
		if got := mustOrder(t, s, early.ID).CustomerName; got != "Ada L." {
			t.Errorf("name after v2 = %q, want Ada L.", got)
		}
	})

	t.Run("a registration racing the first order still names it", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		// Each customer registers at the very moment their first order lands,
		// in two transactions as two consumers would run them: whichever
		// commits second must see the other.
		const n = 30
		orders := make([]ordersearch.Order, n)
		var wg sync.WaitGroup
		for i := range n {
			customerID := newID()
			orders[i] = pendingOrder(customerID, 100, i)
			start := make(chan struct{})
			wg.Go(func() { <-start; noErrorAsync(t, s.AddOrder(ctx, orders[i])) })
			wg.Go(func() {
				<-start
				noErrorAsync(t, s.SetCustomerName(ctx, customerID, fmt.Sprintf("Customer %d", i), 1))
			})
			close(start)
		}
		wg.Wait()
		for i, o := range orders {
			if got, want := mustOrder(t, s, o.ID).CustomerName, fmt.Sprintf("Customer %d", i); got != want {
				t.Errorf("order %d customer name = %q, want %q", i, got, want)
			}
		}
	})

	t.Run("Search keeps the orders every criterion selects, newest first", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		ada, bob := newID(), newID()
		waffles, robo, books := newID(), newID(), newID()
		syrup, servo, novel, bolt := newID(), newID(), newID(), newID()

		// Six orders, one minute apart (o[0] oldest).
		o := []ordersearch.Order{
			pendingOrder(ada, 500, 0, waffles, syrup),
			pendingOrder(bob, 1500, 1, robo, servo, robo, bolt),
			pendingOrder(ada, 2500, 2, books, novel),
			pendingOrder(bob, 3500, 3, waffles, syrup, books, novel),
			pendingOrder(ada, 4500, 4, robo, bolt),
			pendingOrder(bob, 5500, 5, books, novel),
		}
		for _, x := range o {
			must(t, "AddOrder", s.AddOrder(ctx, x))
		}
		must(t, "SetStatus", s.SetStatus(ctx, o[1].ID, orderstatus.Approved, "", t0.Add(time.Hour)))
		must(t, "SetStatus", s.SetStatus(ctx, o[2].ID, orderstatus.Completed, "", t0.Add(time.Hour)))
		must(t, "SetStatus", s.SetStatus(ctx, o[4].ID, orderstatus.Approved, "", t0.Add(time.Hour)))

		ids := func(idx ...int) []string {
			out := []string{}
			for _, i := range idx {
				out = append(out, o[i].ID)
			}
			return out
		}
		minute := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
		tests := []struct {
			name   string
			filter ordersearch.Filter
			want   []string // newest first
		}{
			{"none", ordersearch.Filter{}, ids(5, 4, 3, 2, 1, 0)},
			{"customer", ordersearch.Filter{CustomerID: ada}, ids(4, 2, 0)},
			{"unknown customer", ordersearch.Filter{CustomerID: newID()}, ids()},
			{"store", ordersearch.Filter{StoreIDs: []string{waffles}}, ids(3, 0)},
			{"any of two stores", ordersearch.Filter{StoreIDs: []string{waffles, robo}}, ids(4, 3, 1, 0)},
			{"product", ordersearch.Filter{ProductIDs: []string{bolt}}, ids(4, 1)},
			{"any of two products", ordersearch.Filter{ProductIDs: []string{syrup, servo}}, ids(3, 1, 0)},
			{"status", ordersearch.Filter{Status: orderstatus.Approved}, ids(4, 1)},
			{"status pending", ordersearch.Filter{Status: orderstatus.Pending}, ids(5, 3, 0)},
			{"min total inclusive", ordersearch.Filter{MinTotal: cents(3500)}, ids(5, 4, 3)},
			{"max total inclusive", ordersearch.Filter{MaxTotal: cents(1500)}, ids(1, 0)},
			{"total range", ordersearch.Filter{MinTotal: cents(1000), MaxTotal: cents(4000)}, ids(3, 2, 1)},
			{"after inclusive", ordersearch.Filter{After: minute(4)}, ids(5, 4)},
			{"before exclusive", ordersearch.Filter{Before: minute(2)}, ids(1, 0)},
			{"time window", ordersearch.Filter{After: minute(1), Before: minute(4)}, ids(3, 2, 1)},
			{"customer and store", ordersearch.Filter{CustomerID: bob, StoreIDs: []string{books}}, ids(5, 3)},
			{"customer and status", ordersearch.Filter{CustomerID: ada, Status: orderstatus.Approved}, ids(4)},
			{"product and total", ordersearch.Filter{ProductIDs: []string{novel}, MaxTotal: cents(3500)}, ids(3, 2)},
			{"everything", ordersearch.Filter{CustomerID: bob, StoreIDs: []string{robo, books}, ProductIDs: []string{servo, novel},
				Status: orderstatus.Pending, MinTotal: cents(1000), MaxTotal: cents(6000), After: minute(1), Before: minute(6)}, ids(5, 3)},
			{"nothing matches", ordersearch.Filter{CustomerID: ada, StoreIDs: []string{waffles}, Status: orderstatus.Approved}, ids()},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, page := searchIDs(t, s, tt.filter, ordersearch.Cursor{}, 0)
				if !slices.Equal(got, tt.want) {
					t.Errorf("orders = %v\nwant     %v", got, tt.want)
				}
				if !page.Next.IsZero() {
					t.Errorf("next = %+v, want none: every match fits one page", page.Next)
				}
			})
		}

		// The rows carry what they were built from.
		_, page := searchIDs(t, s, ordersearch.Filter{CustomerID: ada, Status: orderstatus.Completed}, ordersearch.Cursor{}, 0)
		if len(page.Orders) != 1 || !reflect.DeepEqual(page.Orders[0].Items, o[2].Items) || page.Orders[0].Total != 2500 {
			t.Errorf("completed order of ada = %+v, want order 2 with its items", page.Orders)
		}
	})

	t.Run("paging never repeats or skips an order, whatever is added meanwhile", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		customer := newID()
		// 23 orders; several share a creation time, so the ID breaks the tie.
		var all []ordersearch.Order
		for i := range 23 {
			all = append(all, pendingOrder(customer, int64(100*i), i/3))
			must(t, "AddOrder", s.AddOrder(ctx, all[i]))
		}
		// Newest first: by creation time, then by ID, both descending.
		slices.SortFunc(all, func(a, b ordersearch.Order) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			if b.ID > a.ID {
				return 1
			}
			return -1
		})

		var seen []string
		var cursor ordersearch.Cursor
		for pages := 1; ; pages++ {
			ids, page := searchIDs(t, s, ordersearch.Filter{CustomerID: customer}, cursor, 5)
			seen = append(seen, ids...)
			// Orders created while the client pages are newer than its cursor:
			// they must not push orders into pages it already read.
			must(t, "AddOrder", s.AddOrder(ctx, pendingOrder(customer, 1, 100+pages)))
			if page.Next.IsZero() {
				if pages != 5 {
					t.Errorf("read %d pages, want 5 (23 orders by 5)", pages)
				}
				break
			}
			if len(ids) != 5 {
				t.Fatalf("page %d has %d orders, want a full page before the last", pages, len(ids))
			}
			// The cursor travels as a token.
			var err error
			cursor, err = ordersearch.ParseCursor(page.Next.String())
			must(t, "query", err)
		}
		want := []string{}
		for _, o := range all {
			want = append(want, o.ID)
		}
		if !slices.Equal(seen, want) {
			t.Errorf("paged through\n%v\nwant (no duplicates, no gaps, newest first)\n%v", seen, want)
		}
	})

	t.Run("a last full page has no next cursor", func(t *testing.T) {
		s := open(t)
		customer := newID()
		for i := range 4 {
			must(t, "AddOrder", s.AddOrder(context.Background(), pendingOrder(customer, 1, i)))
		}
		ids, page := searchIDs(t, s, ordersearch.Filter{}, ordersearch.Cursor{}, 2)
		if len(ids) != 2 || page.Next.IsZero() {
			t.Fatalf("first page = %v next %+v, want 2 orders and a next cursor", ids, page.Next)
		}
		ids, page = searchIDs(t, s, ordersearch.Filter{}, page.Next, 2)
		if len(ids) != 2 || !page.Next.IsZero() {
			t.Errorf("second page = %v next %+v, want the last 2 orders and no next cursor", ids, page.Next)
		}
	})
}

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// pendingOrder returns a pending order created at t0+minutes with one item
// per (store, product) pair given as alternating IDs.
func pendingOrder(customerID string, total int64, minutes int, storeProduct ...string) ordersearch.Order {
	at := t0.Add(time.Duration(minutes) * time.Minute)
	o := ordersearch.Order{ID: newID(), CustomerID: customerID, Total: total, Status: orderstatus.Pending,
		CreatedAt: at, UpdatedAt: at, Items: []ordersearch.Item{}}
	for i := 0; i+1 < len(storeProduct); i += 2 {
		o.Items = append(o.Items, ordersearch.Item{StoreID: storeProduct[i], StoreName: "Store " + storeProduct[i][:4],
			ProductID: storeProduct[i+1], ProductName: "Product " + storeProduct[i+1][:4], Price: total, Quantity: 1})
	}
	return o
}

func mustOrder(t *testing.T, s SearchRepository, id string) ordersearch.Order {
	t.Helper()
	o, err := s.Order(context.Background(), id)
	must(t, "order", err)
	return o
}

func noErrorAsync(t *testing.T, err error) {
	if err != nil {
		t.Error(err)
	}
}

// searchIDs runs q and returns the IDs of the page's orders and the page.
func searchIDs(t *testing.T, s SearchRepository, f ordersearch.Filter, cursor ordersearch.Cursor, limit int) ([]string, ordersearch.Page) {
	t.Helper()
	q, err := ordersearch.NewQuery(f, cursor, limit)
	must(t, "query", err)
	page, err := s.Search(context.Background(), q)
	must(t, "query", err)
	ids := []string{}
	for _, o := range page.Orders {
		ids = append(ids, o.ID)
	}
	return ids, page
}

func cents(n int64) *int64 { return &n }
