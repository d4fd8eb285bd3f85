// Package basket holds the rules of a customer's basket: a customer known to
// the baskets service and allowed to shop opens one at a kiosk, fills it with
// products of several stores, and then either checks it out with a payment
// authorization or cancels it. Constructors validate; Rehydrate is for
// repositories only.
package basket

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
)

// Limits that keep a basket a kiosk basket and its total far from overflow.
const (
	// MaxQuantity is the most units of one product a basket line may hold.
	MaxQuantity = 1000
	// MaxLines is the most distinct products a basket may hold.
	MaxLines = 100
)

var (
	// ErrIDRequired (kind domain.ErrInvalid): the basket ID is blank.
	ErrIDRequired = fmt.Errorf("%w: basket id is required", domain.ErrInvalid)
	// ErrCustomerIDRequired (kind domain.ErrInvalid): the customer starting
	// the basket has a blank ID.
	ErrCustomerIDRequired = fmt.Errorf("%w: basket customer id is required", domain.ErrInvalid)
	// ErrCustomerDisabled (kind domain.ErrInvalid): a disabled customer tried
	// to start a basket.
	ErrCustomerDisabled = fmt.Errorf("%w: a disabled customer cannot start a basket", domain.ErrInvalid)
	// ErrProductIDRequired (kind domain.ErrInvalid): the product to add has a
	// blank ID.
	ErrProductIDRequired = fmt.Errorf("%w: product id is required", domain.ErrInvalid)
	// ErrStoreUnknown (kind domain.ErrInvalid): the product's store has not
	// reached the baskets service yet, so the line would have no store name.
	ErrStoreUnknown = fmt.Errorf("%w: a product can be added once its store is known", domain.ErrInvalid)
	// ErrPriceNotPositive (kind domain.ErrInvalid): the product to add has a
	// price of zero or less.
	ErrPriceNotPositive = fmt.Errorf("%w: a product's price must be greater than zero", domain.ErrInvalid)
	// ErrQuantityNotPositive (kind domain.ErrInvalid): a quantity to add or
	// remove is less than 1.
	ErrQuantityNotPositive = fmt.Errorf("%w: quantity must be at least 1", domain.ErrInvalid)
	// ErrQuantityTooHigh (kind domain.ErrInvalid): a line would hold more
	// than MaxQuantity units.
	ErrQuantityTooHigh = fmt.Errorf("%w: a basket line holds at most %d units", domain.ErrInvalid, MaxQuantity)
	// ErrTooManyLines (kind domain.ErrInvalid): the basket would hold more
	// than MaxLines distinct products.
	ErrTooManyLines = fmt.Errorf("%w: a basket holds at most %d products", domain.ErrInvalid, MaxLines)
	// ErrNotInBasket (kind domain.ErrInvalid): the product to remove has no
	// line in the basket. It is ErrInvalid, not ErrNotFound: the basket
	// exists, the request names a product it does not hold, and a transport
	// must not mistake this for a missing basket (a 404 on the basket's URL).
	ErrNotInBasket = fmt.Errorf("%w: product is not in the basket", domain.ErrInvalid)
	// ErrRemoveTooMany (kind domain.ErrInvalid): more units were to be removed
	// than the line holds.
	ErrRemoveTooMany = fmt.Errorf("%w: cannot remove more units than the basket holds", domain.ErrInvalid)
	// ErrPaymentIDRequired (kind domain.ErrInvalid): checkout was given a
	// blank payment ID.
	ErrPaymentIDRequired = fmt.Errorf("%w: payment id is required", domain.ErrInvalid)
	// ErrEmpty (kind domain.ErrInvalid): a basket without items was checked
	// out.
	ErrEmpty = fmt.Errorf("%w: basket is empty", domain.ErrInvalid)
	// ErrPaymentOfAnotherCustomer (kind domain.ErrInvalid): the payment named
	// at checkout was authorized by another customer than the basket's.
	ErrPaymentOfAnotherCustomer = fmt.Errorf("%w: a basket is paid with its own customer's payment", domain.ErrInvalid)
	// ErrPaymentUsed (kind domain.ErrConflict): the payment named at checkout
	// already pays for another basket or order, or was voided; a payment
	// authorization pays for one checkout.
	ErrPaymentUsed = fmt.Errorf("%w: payment is already used", domain.ErrConflict)
	// ErrNotOpen (kind domain.ErrConflict): a checked-out or canceled basket
	// was changed.
	ErrNotOpen = fmt.Errorf("%w: basket is not open", domain.ErrConflict)
)

// Status is where a basket is in its life: open, then checked out or
// canceled, both final. Only this package makes statuses; ParseStatus turns
// stored text back into one.
type Status struct{ name string }

// The basket statuses.
var (
	// StatusOpen: the customer is filling the basket.
	StatusOpen = Status{"open"}
	// StatusCheckedOut: the customer checked out with a payment
	// authorization; the basket is final.
	StatusCheckedOut = Status{"checked_out"}
	// StatusCanceled: the customer abandoned the basket; it is final.
	StatusCanceled = Status{"canceled"}
)

// ParseStatus returns the status whose String is s; any other text is an
// error of kind domain.ErrInvalid.
func ParseStatus(s string) (Status, error) {
	for _, st := range []Status{StatusOpen, StatusCheckedOut, StatusCanceled} {
		if st.name == s {
			return st, nil
		}
	}
	return Status{}, fmt.Errorf("%w: unknown basket status %q", domain.ErrInvalid, s)
}

// String returns the status's wire and storage name: "open", "checked_out"
// or "canceled".
func (s Status) String() string { return s.name }

// Item is one line of a basket: Quantity units of one product of one store,
// with the names and unit price (cents) the customer was shown. Baskets hand
// out copies; changing one changes no basket.
type Item struct {
	StoreID     string
	StoreName   string
	ProductID   string
	ProductName string
	// Price is the unit price in cents.
	Price    int64
	Quantity int
}

// Total returns the line's price in cents: unit price × quantity.
func (i Item) Total() int64 { return i.Price * int64(i.Quantity) }

// Basket is one customer's basket. The zero value is not a valid basket; use
// New or Rehydrate.
type Basket struct {
	id         string
	customerID string
	paymentID  string
	items      []Item
	status     Status
	version    int64
}

// New opens an empty basket for customer c, as the baskets service last heard
// of them. The id is generated by the caller and must not be blank
// (ErrIDRequired), nor may the customer's (ErrCustomerIDRequired); a disabled
// customer may not shop (ErrCustomerDisabled). Every error is of kind
// domain.ErrInvalid. Whether the customer exists at all is the caller's
// question: New sees only the cached record.
func New(id string, c catalog.Customer) (*Basket, error) {
	if strings.TrimSpace(id) == "" {
		return nil, ErrIDRequired
	}
	if strings.TrimSpace(c.ID) == "" {
		return nil, ErrCustomerIDRequired
	}
	if !c.Enabled {
		return nil, fmt.Errorf("%w: customer %s is disabled", ErrCustomerDisabled, c.ID)
	}
	return &Basket{id: id, customerID: c.ID, status: StatusOpen, version: 1}, nil
}

// Rehydrate rebuilds a basket from storage without validating it. Only
// repositories call it; everyone else uses New. It keeps a copy of items.
func Rehydrate(id, customerID, paymentID string, status Status, items []Item, version int64) *Basket {
	return &Basket{id: id, customerID: customerID, paymentID: paymentID, status: status, items: slices.Clone(items), version: version}
}

// ID returns the basket's ID.
func (b *Basket) ID() string { return b.id }

// CustomerID returns the ID of the customer who started the basket.
func (b *Basket) CustomerID() string { return b.customerID }

// PaymentID returns the payment authorization the basket was checked out
// with; "" until then.
func (b *Basket) PaymentID() string { return b.paymentID }

// Status returns where the basket is in its life.
func (b *Basket) Status() Status { return b.status }

// Version counts the basket's accepted changes: 1 when started, one more per
// successful command.
func (b *Basket) Version() int64 { return b.version }

// Items returns a copy of the basket's lines in the order their products
// were first added.
func (b *Basket) Items() []Item { return slices.Clone(b.items) }

// Total returns the sum of the lines' totals in cents.
func (b *Basket) Total() int64 {
	var total int64
	for _, it := range b.items {
		total += it.Total()
	}
	return total
}

// AddItem puts quantity units of product p, as the catalog cache holds it,
// into the open basket. The product needs an ID (ErrProductIDRequired), a
// store whose name is known (ErrStoreUnknown) and a price above zero
// (ErrPriceNotPositive); quantity must be at least 1 (ErrQuantityNotPositive)
// and the line may not exceed MaxQuantity units (ErrQuantityTooHigh) nor the
// basket MaxLines products (ErrTooManyLines); all of kind domain.ErrInvalid.
// A basket that is not open refuses with ErrNotOpen (domain.ErrConflict).
//
// Adding a product the basket holds already adds to its line's quantity and
// prices the whole line, names included, as p says now: the customer pays
// what the catalog asks at the time of their last change, never a mix.
// On error the basket is unchanged.
func (b *Basket) AddItem(p catalog.Product, quantity int) error {
	if err := checkQuantity(quantity); err != nil {
		return err
	}
	if quantity > MaxQuantity {
		return fmt.Errorf("%w: got %d of product %s", ErrQuantityTooHigh, quantity, p.ID)
	}
	if strings.TrimSpace(p.ID) == "" {
		return ErrProductIDRequired
	}
	if p.StoreID == "" || p.StoreName == "" {
		return fmt.Errorf("%w: store %s of product %s is not known to baskets yet", ErrStoreUnknown, p.StoreID, p.ID)
	}
	if p.Price <= 0 {
		return fmt.Errorf("%w: product %s costs %d cents", ErrPriceNotPositive, p.ID, p.Price)
	}
	if err := b.mustBeOpen(); err != nil {
		return err
	}
	line := Item{StoreID: p.StoreID, StoreName: p.StoreName, ProductID: p.ID, ProductName: p.Name, Price: p.Price, Quantity: quantity}
	i := b.line(p.ID)
	if i >= 0 {
		line.Quantity += b.items[i].Quantity
	}
	// quantity ≤ MaxQuantity was checked first, so the sum cannot overflow.
	if line.Quantity > MaxQuantity {
		return fmt.Errorf("%w: product %s would have %d", ErrQuantityTooHigh, p.ID, line.Quantity)
	}
	if i >= 0 {
		b.items[i] = line
	} else {
		if len(b.items) >= MaxLines {
			return fmt.Errorf("%w: cannot add product %s", ErrTooManyLines, p.ID)
		}
		b.items = append(b.items, line)
	}
	b.version++
	return nil
}

// RemoveItem takes quantity units of product productID out of the open
// basket: the line's quantity drops by quantity, and the line goes when its
// last unit does. Quantity must be at least 1 (ErrQuantityNotPositive), the
// basket must hold the product (ErrNotInBasket) and at least quantity units
// of it (ErrRemoveTooMany); all of kind domain.ErrInvalid. A basket that is
// not open refuses with ErrNotOpen (domain.ErrConflict). On error the basket
// is unchanged.
func (b *Basket) RemoveItem(productID string, quantity int) error {
	if err := checkQuantity(quantity); err != nil {
		return err
	}
	if err := b.mustBeOpen(); err != nil {
		return err
	}
	i := b.line(productID)
	if i < 0 {
		return fmt.Errorf("%w: product %s is not in basket %s", ErrNotInBasket, productID, b.id)
	}
	switch held := b.items[i].Quantity; {
	case quantity > held:
		return fmt.Errorf("%w: removing %d of product %s, basket %s holds %d", ErrRemoveTooMany, quantity, productID, b.id, held)
	case quantity == held:
		b.items = slices.Delete(b.items, i, i+1)
	default:
		b.items[i].Quantity -= quantity
	}
	b.version++
	return nil
}

// Cancel abandons the open basket. A basket that is not open refuses with
// ErrNotOpen (domain.ErrConflict) and is unchanged.
func (b *Basket) Cancel() error {
	if err := b.mustBeOpen(); err != nil {
		return err
	}
	b.status = StatusCanceled
	b.version++
	return nil
}

// Checkout closes the open basket, to be paid with payment authorization p,
// as the catalog cache holds it. A basket that is not open refuses with
// ErrNotOpen (domain.ErrConflict), an empty one with ErrEmpty
// (domain.ErrInvalid). The payment needs an ID (ErrPaymentIDRequired), must
// have been authorized by the basket's customer when the cache knows who
// did (ErrPaymentOfAnotherCustomer, domain.ErrInvalid) and must still be
// unused: confirmed for an order or voided is ErrPaymentUsed
// (domain.ErrConflict). Whether it covers the total is the order saga's
// check. On error the basket is unchanged.
func (b *Basket) Checkout(p catalog.Payment) error {
	paymentID := strings.TrimSpace(p.ID)
	if paymentID == "" {
		return ErrPaymentIDRequired
	}
	if err := b.mustBeOpen(); err != nil {
		return err
	}
	if len(b.items) == 0 {
		return fmt.Errorf("%w: cannot check out basket %s", ErrEmpty, b.id)
	}
	switch {
	case p.CustomerID != "" && p.CustomerID != b.customerID:
		return fmt.Errorf("%w: payment %s was authorized by another customer", ErrPaymentOfAnotherCustomer, paymentID)
	case p.Voided:
		return fmt.Errorf("%w: payment %s was voided", ErrPaymentUsed, paymentID)
	case p.OrderID != "":
		return fmt.Errorf("%w: payment %s was confirmed for order %s", ErrPaymentUsed, paymentID, p.OrderID)
	}
	b.paymentID = paymentID
	b.status = StatusCheckedOut
	b.version++
	return nil
}

func (b *Basket) mustBeOpen() error {
	if b.status != StatusOpen {
		return fmt.Errorf("%w: basket %s is %s", ErrNotOpen, b.id, b.status)
	}
	return nil
}

// line returns the index of product productID's line, or -1.
func (b *Basket) line(productID string) int {
	return slices.IndexFunc(b.items, func(it Item) bool { return it.ProductID == productID })
}

func checkQuantity(quantity int) error {
	if quantity < 1 {
		return fmt.Errorf("%w: got %d", ErrQuantityNotPositive, quantity)
	}
	return nil
}
