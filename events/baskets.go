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
	StoreID     string `json:"storeId" check:"id"`
	StoreName   string `json:"storeName"`
	ProductID   string `json:"productId" check:"id"`
	ProductName string `json:"productName"`
	Price       int64  `json:"price" check:"min=0"`
	Quantity    int    `json:"quantity" check:"min=1"`
}

// BasketStarted: a customer opened a basket at a kiosk.
type BasketStarted struct {
	BasketID   string `json:"basketId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
}

// BasketItemAdded: quantity units of a product went into the basket, at the
// price (cents) the catalog cache held then.
type BasketItemAdded struct {
	BasketID string `json:"basketId" check:"id"`
	Item     Item   `json:"item"`
}

// BasketItemRemoved: quantity units of a product came out of the basket;
// removing the last unit removes the line.
type BasketItemRemoved struct {
	BasketID  string `json:"basketId" check:"id"`
	ProductID string `json:"productId" check:"id"`
	Quantity  int    `json:"quantity" check:"min=1"`
}

// BasketCanceled: the customer abandoned the basket.
type BasketCanceled struct {
	BasketID string `json:"basketId" check:"id"`
}

// BasketCheckedOut: the customer checked out, naming the payment
// authorization that pays for it. It carries every item in full (names and
// prices), so orders needs nothing else to create the order.
type BasketCheckedOut struct {
	BasketID   string `json:"basketId" check:"id"`
	CustomerID string `json:"customerId" check:"id"`
	PaymentID  string `json:"paymentId" check:"id"`
	Items      []Item `json:"items" check:"nonempty"`
}

func (BasketStarted) EventName() string     { return BasketStartedName }
func (BasketItemAdded) EventName() string   { return BasketItemAddedName }
func (BasketItemRemoved) EventName() string { return BasketItemRemovedName }
func (BasketCanceled) EventName() string    { return BasketCanceledName }
func (BasketCheckedOut) EventName() string  { return BasketCheckedOutName }

// Validate checks each payload against its fields' check tags (see Payload).
func (e BasketStarted) Validate() error     { return validate(e) }
func (e BasketItemAdded) Validate() error   { return validate(e) }
func (e BasketItemRemoved) Validate() error { return validate(e) }
func (e BasketCanceled) Validate() error    { return validate(e) }
func (e BasketCheckedOut) Validate() error  { return validate(e) }
