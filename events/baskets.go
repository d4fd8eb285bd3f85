package events

// Wire names of the events the baskets service publishes.
const (
	BasketStartedName     = "baskets.BasketStarted"
	BasketItemAddedName   = "baskets.BasketItemAdded"
	BasketItemRemovedName = "baskets.BasketItemRemoved"
	BasketCanceledName    = "baskets.BasketCanceled"
	BasketCheckedOutName  = "baskets.BasketCheckedOut"
)

// Item is one line of a basket or an order: a quantity of one product of one
// store, with the names and unit price (cents) the customer saw.
type Item struct {
	StoreID     string `json:"storeId"`
	StoreName   string `json:"storeName"`
	ProductID   string `json:"productId"`
	ProductName string `json:"productName"`
	Price       int64  `json:"price"`
	Quantity    int    `json:"quantity"`
}

// BasketStarted: a customer opened a basket at a kiosk.
type BasketStarted struct {
	BasketID   string `json:"basketId"`
	CustomerID string `json:"customerId"`
}

// BasketItemAdded: quantity units of a product went into the basket, at the
// price (cents) the catalog cache held then.
type BasketItemAdded struct {
	BasketID string `json:"basketId"`
	Item     Item   `json:"item"`
}

// BasketItemRemoved: quantity units of a product came out of the basket;
// removing the last unit removes the line.
type BasketItemRemoved struct {
	BasketID  string `json:"basketId"`
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// BasketCanceled: the customer abandoned the basket.
type BasketCanceled struct {
	BasketID string `json:"basketId"`
}

// BasketCheckedOut: the customer checked out, naming the payment
// authorization that pays for it. It carries every item in full (names and
// prices), so orders needs nothing else to create the order.
type BasketCheckedOut struct {
	BasketID   string `json:"basketId"`
	CustomerID string `json:"customerId"`
	PaymentID  string `json:"paymentId"`
	Items      []Item `json:"items"`
}

func (BasketStarted) EventName() string     { return BasketStartedName }
func (BasketItemAdded) EventName() string   { return BasketItemAddedName }
func (BasketItemRemoved) EventName() string { return BasketItemRemovedName }
func (BasketCanceled) EventName() string    { return BasketCanceledName }
func (BasketCheckedOut) EventName() string  { return BasketCheckedOutName }

// Validate reports what BasketStarted is missing (see Payload).
func (e BasketStarted) Validate() error {
	var c check
	c.id("basketId", e.BasketID)
	c.id("customerId", e.CustomerID)
	return c.err(e)
}

// Validate reports what BasketItemAdded is missing (see Payload).
func (e BasketItemAdded) Validate() error {
	var c check
	c.id("basketId", e.BasketID)
	c.item("item.", e.Item)
	return c.err(e)
}

// Validate reports what BasketItemRemoved is missing (see Payload).
func (e BasketItemRemoved) Validate() error {
	var c check
	c.id("basketId", e.BasketID)
	c.id("productId", e.ProductID)
	c.atLeast("quantity", int64(e.Quantity), 1)
	return c.err(e)
}

// Validate reports what BasketCanceled is missing (see Payload).
func (e BasketCanceled) Validate() error {
	var c check
	c.id("basketId", e.BasketID)
	return c.err(e)
}

// Validate reports what BasketCheckedOut is missing (see Payload): it needs
// at least one item.
func (e BasketCheckedOut) Validate() error {
	var c check
	c.id("basketId", e.BasketID)
	c.id("customerId", e.CustomerID)
	c.id("paymentId", e.PaymentID)
	c.items("items", e.Items)
	return c.err(e)
}
