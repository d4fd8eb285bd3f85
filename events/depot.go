package events

// Wire names of the events the depot service publishes.
const (
	ShoppingListCreatedName   = "depot.ShoppingListCreated"
	ShoppingListAvailableName = "depot.ShoppingListAvailable"
	ShoppingListAssignedName  = "depot.ShoppingListAssigned"
	ShoppingListCompletedName = "depot.ShoppingListCompleted"
	ShoppingListCanceledName  = "depot.ShoppingListCanceled"
)

// ShoppingListCreated: the depot planned the bots' work for an order, one
// stop per store. The list stays pending until the saga initiates shopping.
type ShoppingListCreated struct {
	ShoppingID string `json:"shoppingId"`
	OrderID    string `json:"orderId"`
	Stops      int    `json:"stops"`
}

// ShoppingListAvailable: a bot may now claim the list.
type ShoppingListAvailable struct {
	ShoppingID string `json:"shoppingId"`
	OrderID    string `json:"orderId"`
}

// ShoppingListAssigned: bot BotID claimed the list.
type ShoppingListAssigned struct {
	ShoppingID string `json:"shoppingId"`
	OrderID    string `json:"orderId"`
	BotID      string `json:"botId"`
}

// ShoppingListCompleted: the bot picked up every stop and brought the goods
// to the depot; the order is ready.
type ShoppingListCompleted struct {
	ShoppingID string `json:"shoppingId"`
	OrderID    string `json:"orderId"`
}

// ShoppingListCanceled: the list was canceled (saga compensation or order
// canceled) and no bot will shop it.
type ShoppingListCanceled struct {
	ShoppingID string `json:"shoppingId"`
	OrderID    string `json:"orderId"`
}

func (ShoppingListCreated) EventName() string   { return ShoppingListCreatedName }
func (ShoppingListAvailable) EventName() string { return ShoppingListAvailableName }
func (ShoppingListAssigned) EventName() string  { return ShoppingListAssignedName }
func (ShoppingListCompleted) EventName() string { return ShoppingListCompletedName }
func (ShoppingListCanceled) EventName() string  { return ShoppingListCanceledName }

// Validate reports what ShoppingListCreated is missing (see Payload).
func (e ShoppingListCreated) Validate() error {
	var c check
	c.id("shoppingId", e.ShoppingID)
	c.id("orderId", e.OrderID)
	c.atLeast("stops", int64(e.Stops), 1)
	return c.err(e)
}

// Validate reports what ShoppingListAvailable is missing (see Payload).
func (e ShoppingListAvailable) Validate() error {
	var c check
	c.id("shoppingId", e.ShoppingID)
	c.id("orderId", e.OrderID)
	return c.err(e)
}

// Validate reports what ShoppingListAssigned is missing (see Payload).
func (e ShoppingListAssigned) Validate() error {
	var c check
	c.id("shoppingId", e.ShoppingID)
	c.id("orderId", e.OrderID)
	c.id("botId", e.BotID)
	return c.err(e)
}

// Validate reports what ShoppingListCompleted is missing (see Payload).
func (e ShoppingListCompleted) Validate() error {
	var c check
	c.id("shoppingId", e.ShoppingID)
	c.id("orderId", e.OrderID)
	return c.err(e)
}

// Validate reports what ShoppingListCanceled is missing (see Payload).
func (e ShoppingListCanceled) Validate() error {
	var c check
	c.id("shoppingId", e.ShoppingID)
	c.id("orderId", e.OrderID)
	return c.err(e)
}
