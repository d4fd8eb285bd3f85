package basket_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/basket"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/internal/domaintest"
)

// Catalog entries and the basket lines they make.
var (
	syrup  = catalog.Product{ID: "p1", StoreID: "s1", StoreName: "Waffles", Name: "Syrup", Price: 499}
	cream  = catalog.Product{ID: "p2", StoreID: "s2", StoreName: "Dairy", Name: "Cream", Price: 250}
	pricey = catalog.Product{ID: "p1", StoreID: "s1", StoreName: "Waffle House", Name: "Maple syrup", Price: 599}
)

func line(p catalog.Product, quantity int) basket.Item {
	return basket.Item{StoreID: p.StoreID, StoreName: p.StoreName, ProductID: p.ID, ProductName: p.Name, Price: p.Price, Quantity: quantity}
}

// stored returns basket b1 of customer c1 at version 5, as a repository
// would rebuild it.
func stored(status basket.Status, items ...basket.Item) *basket.Basket {
	paymentID := ""
	if status == basket.StatusCheckedOut {
		paymentID = "pay1"
	}
	return basket.Rehydrate("b1", "c1", paymentID, status, items, 5)
}

// assertState fails unless b holds exactly items at version.
func assertState(t *testing.T, b *basket.Basket, items []basket.Item, version int64) {
	t.Helper()
	if got := b.Items(); !reflect.DeepEqual(got, items) && (len(got) != 0 || len(items) != 0) {
		t.Errorf("Items() = %+v, want %+v", got, items)
	}
	if b.Version() != version {
		t.Errorf("Version() = %d, want %d", b.Version(), version)
	}
}

func TestParseStatus(t *testing.T) {
	for _, st := range []basket.Status{basket.StatusOpen, basket.StatusCheckedOut, basket.StatusCanceled} {
		got, err := basket.ParseStatus(st.String())
		if err != nil || got != st {
			t.Errorf("ParseStatus(%q) = %v, %v; want %v", st.String(), got, err, st)
		}
	}
	if names := []string{basket.StatusOpen.String(), basket.StatusCheckedOut.String(), basket.StatusCanceled.String()}; !reflect.DeepEqual(names, []string{"open", "checked_out", "canceled"}) {
		t.Errorf("status names = %q", names)
	}
	for _, s := range []string{"", "OPEN", "closed", " open"} {
		_, err := basket.ParseStatus(s)
		if !strings.Contains(errString(err), "unknown basket status") {
			t.Errorf("ParseStatus(%q) error = %v, want an unknown basket status", s, err)
		}
		domaintest.AssertErr(t, err, domain.ErrInvalid, domain.ErrInvalid)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestNew(t *testing.T) {
	tests := []struct {
		name              string
		id                string
		customer          catalog.Customer
		wantErr, wantKind error
		wantText          string
	}{
		{name: "enabled customer", id: "b1", customer: catalog.Customer{ID: "c1", Enabled: true}},
		{name: "blank id", id: " ", customer: catalog.Customer{ID: "c1", Enabled: true},
			wantErr: basket.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "blank customer id", id: "b1", customer: catalog.Customer{ID: "", Enabled: true},
			wantErr: basket.ErrCustomerIDRequired, wantKind: domain.ErrInvalid},
		{name: "disabled customer", id: "b1", customer: catalog.Customer{ID: "c1", Enabled: false},
			wantErr: basket.ErrCustomerDisabled, wantKind: domain.ErrInvalid, wantText: "customer c1 is disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := basket.New(tt.id, tt.customer)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				if b != nil {
					t.Errorf("got basket %+v with an error", b)
				}
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not say %q", err, tt.wantText)
				}
				return
			}
			if b.ID() != "b1" || b.CustomerID() != "c1" || b.PaymentID() != "" || b.Status() != basket.StatusOpen || b.Total() != 0 {
				t.Errorf("new basket = {%s %s %q %s total %d}", b.ID(), b.CustomerID(), b.PaymentID(), b.Status(), b.Total())
			}
			assertState(t, b, nil, 1)
		})
	}
}

func TestRehydrateKeepsItsOwnItems(t *testing.T) {
	items := []basket.Item{line(syrup, 2)}
	b := basket.Rehydrate("b1", "c1", "pay1", basket.StatusCheckedOut, items, 7)
	items[0].Quantity = 99
	if b.ID() != "b1" || b.CustomerID() != "c1" || b.PaymentID() != "pay1" || b.Status() != basket.StatusCheckedOut {
		t.Errorf("rehydrated = {%s %s %s %s}", b.ID(), b.CustomerID(), b.PaymentID(), b.Status())
	}
	assertState(t, b, []basket.Item{line(syrup, 2)}, 7)

	got := b.Items()
	got[0].Quantity = 42
	assertState(t, b, []basket.Item{line(syrup, 2)}, 7)
}

func TestTotal(t *testing.T) {
	b := stored(basket.StatusOpen, line(syrup, 3), line(cream, 2))
	if got, want := b.Total(), int64(3*499+2*250); got != want {
		t.Errorf("Total() = %d, want %d", got, want)
	}
	if got := line(syrup, 3).Total(); got != 1497 {
		t.Errorf("Item.Total() = %d, want 1497", got)
	}
}

func TestAddItem(t *testing.T) {
	full := make([]basket.Item, basket.MaxLines)
	for i := range full {
		full[i] = basket.Item{StoreID: "s", StoreName: "S", ProductID: fmt.Sprintf("other%03d", i), ProductName: "x", Price: 1, Quantity: 1}
	}
	noStoreName := syrup
	noStoreName.StoreName = ""
	free := syrup
	free.Price = 0
	blankID := syrup
	blankID.ID = " "

	tests := []struct {
		name              string
		basket            *basket.Basket
		product           catalog.Product
		quantity          int
		wantErr, wantKind error
		wantText          string
		wantItems         []basket.Item
	}{
		{name: "first line", basket: stored(basket.StatusOpen), product: syrup, quantity: 2,
			wantItems: []basket.Item{line(syrup, 2)}},
		{name: "second product gets its own line, in order", basket: stored(basket.StatusOpen, line(syrup, 2)), product: cream, quantity: 1,
			wantItems: []basket.Item{line(syrup, 2), line(cream, 1)}},
		{name: "same product adds to its line", basket: stored(basket.StatusOpen, line(syrup, 2), line(cream, 1)), product: syrup, quantity: 3,
			wantItems: []basket.Item{line(syrup, 5), line(cream, 1)}},
		{name: "same product reprices and renames the whole line", basket: stored(basket.StatusOpen, line(syrup, 2)), product: pricey, quantity: 1,
			wantItems: []basket.Item{line(pricey, 3)}},
		{name: "line reaches the maximum", basket: stored(basket.StatusOpen, line(syrup, basket.MaxQuantity-1)), product: syrup, quantity: 1,
			wantItems: []basket.Item{line(syrup, basket.MaxQuantity)}},
		{name: "zero quantity", basket: stored(basket.StatusOpen), product: syrup, quantity: 0,
			wantErr: basket.ErrQuantityNotPositive, wantKind: domain.ErrInvalid, wantText: "got 0"},
		{name: "negative quantity", basket: stored(basket.StatusOpen, line(syrup, 2)), product: syrup, quantity: -1,
			wantErr: basket.ErrQuantityNotPositive, wantKind: domain.ErrInvalid, wantItems: []basket.Item{line(syrup, 2)}},
		{name: "more than a line holds at once", basket: stored(basket.StatusOpen), product: syrup, quantity: basket.MaxQuantity + 1,
			wantErr: basket.ErrQuantityTooHigh, wantKind: domain.ErrInvalid},
		{name: "huge quantity does not overflow the line", basket: stored(basket.StatusOpen, line(syrup, 2)), product: syrup, quantity: int(^uint(0) >> 1),
			wantErr: basket.ErrQuantityTooHigh, wantKind: domain.ErrInvalid, wantItems: []basket.Item{line(syrup, 2)}},
		{name: "line would exceed the maximum", basket: stored(basket.StatusOpen, line(syrup, basket.MaxQuantity)), product: syrup, quantity: 1,
			wantErr: basket.ErrQuantityTooHigh, wantKind: domain.ErrInvalid, wantText: "would have 1001",
			wantItems: []basket.Item{line(syrup, basket.MaxQuantity)}},
		{name: "too many products", basket: stored(basket.StatusOpen, full...), product: syrup, quantity: 1,
			wantErr: basket.ErrTooManyLines, wantKind: domain.ErrInvalid, wantItems: full},
		{name: "a full basket still adds to a line it holds", basket: stored(basket.StatusOpen, full...), product: catalog.Product{
			ID: full[0].ProductID, StoreID: "s", StoreName: "S", Name: "x", Price: 1}, quantity: 1,
			wantItems: append([]basket.Item{{StoreID: "s", StoreName: "S", ProductID: full[0].ProductID, ProductName: "x", Price: 1, Quantity: 2}}, full[1:]...)},
		{name: "store not known yet", basket: stored(basket.StatusOpen), product: noStoreName, quantity: 1,
			wantErr: basket.ErrStoreUnknown, wantKind: domain.ErrInvalid, wantText: "store s1 of product p1 is not known to baskets yet"},
		{name: "free product", basket: stored(basket.StatusOpen), product: free, quantity: 1,
			wantErr: basket.ErrPriceNotPositive, wantKind: domain.ErrInvalid},
		{name: "blank product id", basket: stored(basket.StatusOpen), product: blankID, quantity: 1,
			wantErr: basket.ErrProductIDRequired, wantKind: domain.ErrInvalid},
		{name: "checked out", basket: stored(basket.StatusCheckedOut, line(syrup, 1)), product: syrup, quantity: 1,
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantText: "basket b1 is checked_out", wantItems: []basket.Item{line(syrup, 1)}},
		{name: "canceled", basket: stored(basket.StatusCanceled), product: syrup, quantity: 1,
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantText: "basket b1 is canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.basket.AddItem(tt.product, tt.quantity)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			version := int64(6)
			if tt.wantErr != nil {
				version = 5
			}
			assertState(t, tt.basket, tt.wantItems, version)
		})
	}
}

func TestRemoveItem(t *testing.T) {
	tests := []struct {
		name              string
		basket            *basket.Basket
		productID         string
		quantity          int
		wantErr, wantKind error
		wantText          string
		wantItems         []basket.Item
	}{
		{name: "some units lower the quantity", basket: stored(basket.StatusOpen, line(syrup, 5), line(cream, 1)), productID: "p1", quantity: 2,
			wantItems: []basket.Item{line(syrup, 3), line(cream, 1)}},
		{name: "one unit of many", basket: stored(basket.StatusOpen, line(syrup, 2)), productID: "p1", quantity: 1,
			wantItems: []basket.Item{line(syrup, 1)}},
		{name: "the last unit removes the line", basket: stored(basket.StatusOpen, line(syrup, 1), line(cream, 4)), productID: "p1", quantity: 1,
			wantItems: []basket.Item{line(cream, 4)}},
		{name: "all units at once remove the line and keep the order", basket: stored(basket.StatusOpen, line(syrup, 3), line(cream, 4), line(pricey, 1)), productID: "p2", quantity: 4,
			wantItems: []basket.Item{line(syrup, 3), line(pricey, 1)}},
		{name: "more than present", basket: stored(basket.StatusOpen, line(syrup, 2)), productID: "p1", quantity: 3,
			wantErr: basket.ErrRemoveTooMany, wantKind: domain.ErrInvalid, wantText: "removing 3 of product p1, basket b1 holds 2",
			wantItems: []basket.Item{line(syrup, 2)}},
		{name: "product not in the basket", basket: stored(basket.StatusOpen, line(syrup, 2)), productID: "p2", quantity: 1,
			wantErr: basket.ErrNotInBasket, wantKind: domain.ErrInvalid, wantText: "product p2 is not in basket b1",
			wantItems: []basket.Item{line(syrup, 2)}},
		{name: "empty basket", basket: stored(basket.StatusOpen), productID: "p1", quantity: 1,
			wantErr: basket.ErrNotInBasket, wantKind: domain.ErrInvalid},
		{name: "zero quantity", basket: stored(basket.StatusOpen, line(syrup, 2)), productID: "p1", quantity: 0,
			wantErr: basket.ErrQuantityNotPositive, wantKind: domain.ErrInvalid, wantItems: []basket.Item{line(syrup, 2)}},
		{name: "negative quantity does not add units", basket: stored(basket.StatusOpen, line(syrup, 2)), productID: "p1", quantity: -3,
			wantErr: basket.ErrQuantityNotPositive, wantKind: domain.ErrInvalid, wantItems: []basket.Item{line(syrup, 2)}},
		{name: "checked out", basket: stored(basket.StatusCheckedOut, line(syrup, 2)), productID: "p1", quantity: 1,
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantItems: []basket.Item{line(syrup, 2)}},
		{name: "canceled", basket: stored(basket.StatusCanceled, line(syrup, 2)), productID: "p1", quantity: 1,
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantItems: []basket.Item{line(syrup, 2)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.basket.RemoveItem(tt.productID, tt.quantity)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			version := int64(6)
			if tt.wantErr != nil {
				version = 5
			}
			assertState(t, tt.basket, tt.wantItems, version)
		})
	}
}

func TestAddThenRemoveEverything(t *testing.T) {
	b, err := basket.New("b1", catalog.Customer{ID: "c1", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	domaintest.AssertErr(t, b.AddItem(syrup, 2), nil, nil)
	domaintest.AssertErr(t, b.AddItem(syrup, 1), nil, nil)
	domaintest.AssertErr(t, b.RemoveItem("p1", 2), nil, nil)
	assertState(t, b, []basket.Item{line(syrup, 1)}, 4)
	domaintest.AssertErr(t, b.RemoveItem("p1", 1), nil, nil)
	assertState(t, b, nil, 5)
	domaintest.AssertErr(t, b.Checkout(catalog.Payment{ID: "pay1", CustomerID: "c1"}), basket.ErrEmpty, domain.ErrInvalid)
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name              string
		basket            *basket.Basket
		wantErr, wantKind error
		wantStatus        basket.Status
	}{
		{name: "open", basket: stored(basket.StatusOpen, line(syrup, 1)), wantStatus: basket.StatusCanceled},
		{name: "open and empty", basket: stored(basket.StatusOpen), wantStatus: basket.StatusCanceled},
		{name: "canceled twice", basket: stored(basket.StatusCanceled),
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantStatus: basket.StatusCanceled},
		{name: "checked out", basket: stored(basket.StatusCheckedOut, line(syrup, 1)),
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantStatus: basket.StatusCheckedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := tt.basket.Items()
			domaintest.AssertErr(t, tt.basket.Cancel(), tt.wantErr, tt.wantKind)
			if tt.basket.Status() != tt.wantStatus {
				t.Errorf("Status() = %s, want %s", tt.basket.Status(), tt.wantStatus)
			}
			version := int64(6)
			if tt.wantErr != nil {
				version = 5
			}
			assertState(t, tt.basket, items, version)
		})
	}
}

func TestCheckout(t *testing.T) {
	// pay is an unused payment of the basket's customer, c1.
	pay := func(id string) catalog.Payment { return catalog.Payment{ID: id, CustomerID: "c1"} }
	tests := []struct {
		name              string
		basket            *basket.Basket
		payment           catalog.Payment
		wantErr, wantKind error
		wantText          string
		wantStatus        basket.Status
		wantPaymentID     string
	}{
		{name: "open with items", basket: stored(basket.StatusOpen, line(syrup, 2)), payment: pay(" pay2 "),
			wantStatus: basket.StatusCheckedOut, wantPaymentID: "pay2"},
		{name: "empty", basket: stored(basket.StatusOpen), payment: pay("pay2"),
			wantErr: basket.ErrEmpty, wantKind: domain.ErrInvalid, wantText: "basket is empty: cannot check out basket b1",
			wantStatus: basket.StatusOpen},
		{name: "blank payment id", basket: stored(basket.StatusOpen, line(syrup, 2)), payment: pay("  "),
			wantErr: basket.ErrPaymentIDRequired, wantKind: domain.ErrInvalid, wantStatus: basket.StatusOpen},
		{name: "another customer's payment", basket: stored(basket.StatusOpen, line(syrup, 2)),
			payment: catalog.Payment{ID: "pay2", CustomerID: "c2"},
			wantErr: basket.ErrPaymentOfAnotherCustomer, wantKind: domain.ErrInvalid,
			wantText: "payment pay2 was authorized by another customer", wantStatus: basket.StatusOpen},
		{name: "a payment confirmed for an order", basket: stored(basket.StatusOpen, line(syrup, 2)),
			payment: catalog.Payment{ID: "pay2", CustomerID: "c1", OrderID: "o1"},
			wantErr: basket.ErrPaymentUsed, wantKind: domain.ErrConflict,
			wantText: "payment is already used: payment pay2 was confirmed for order o1", wantStatus: basket.StatusOpen},
		{name: "a voided payment", basket: stored(basket.StatusOpen, line(syrup, 2)),
			payment: catalog.Payment{ID: "pay2", CustomerID: "c1", OrderID: "o1", Voided: true},
			wantErr: basket.ErrPaymentUsed, wantKind: domain.ErrConflict, wantText: "payment pay2 was voided", wantStatus: basket.StatusOpen},
		{name: "a used payment only later events told of", basket: stored(basket.StatusOpen, line(syrup, 2)),
			payment: catalog.Payment{ID: "pay2", OrderID: "o1"},
			wantErr: basket.ErrPaymentUsed, wantKind: domain.ErrConflict, wantStatus: basket.StatusOpen},
		{name: "another customer's used payment: whose it is comes first", basket: stored(basket.StatusOpen, line(syrup, 2)),
			payment: catalog.Payment{ID: "pay2", CustomerID: "c2", OrderID: "o1"},
			wantErr: basket.ErrPaymentOfAnotherCustomer, wantKind: domain.ErrInvalid, wantStatus: basket.StatusOpen},
		{name: "checked out twice", basket: stored(basket.StatusCheckedOut, line(syrup, 2)), payment: pay("pay2"),
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantText: "basket b1 is checked_out",
			wantStatus: basket.StatusCheckedOut, wantPaymentID: "pay1"},
		{name: "canceled", basket: stored(basket.StatusCanceled, line(syrup, 2)), payment: pay("pay2"),
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantStatus: basket.StatusCanceled},
		{name: "canceled and empty is a conflict first", basket: stored(basket.StatusCanceled), payment: pay("pay2"),
			wantErr: basket.ErrNotOpen, wantKind: domain.ErrConflict, wantStatus: basket.StatusCanceled},
		{name: "empty comes before the payment", basket: stored(basket.StatusOpen),
			payment: catalog.Payment{ID: "pay2", CustomerID: "c2", Voided: true},
			wantErr: basket.ErrEmpty, wantKind: domain.ErrInvalid, wantStatus: basket.StatusOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := tt.basket.Items()
			err := tt.basket.Checkout(tt.payment)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if err != nil && !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not say %q", err, tt.wantText)
			}
			if tt.basket.Status() != tt.wantStatus || tt.basket.PaymentID() != tt.wantPaymentID {
				t.Errorf("status %s payment %q, want %s %q", tt.basket.Status(), tt.basket.PaymentID(), tt.wantStatus, tt.wantPaymentID)
			}
			version := int64(6)
			if tt.wantErr != nil {
				version = 5
			}
			assertState(t, tt.basket, items, version)
		})
	}
}
