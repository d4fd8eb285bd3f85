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
	ShoppingID string `json:"shoppingId" check:"id"`
	OrderID    string `json:"orderId" check:"id"`
	Stops      int    `json:"stops" check:"min=1"`
}

// ShoppingListAvailable: a bot may now claim the list.
type ShoppingListAvailable struct {
	ShoppingID string `json:"shoppingId" check:"id"`
	OrderID    string `json:"orderId" check:"id"`
}

// ShoppingListAssigned: bot BotID claimed the list.
type ShoppingListAssigned struct {
	ShoppingID string `json:"shoppingId" check:"id"`
	OrderID    string `json:"orderId" check:"id"`
	BotID      string `json:"botId" check:"id"`
}

// ShoppingListCompleted: the bot picked up every stop and brought the goods
// to the depot; the order is ready.
type ShoppingListCompleted struct {
	ShoppingID string `json:"shoppingId" check:"id"`
	OrderID    string `json:"orderId" check:"id"`
}

// ShoppingListCanceled: the list was canceled (saga compensation or order
// canceled) and no bot will shop it.
type ShoppingListCanceled struct {
	ShoppingID string `json:"shoppingId" check:"id"`
	OrderID    string `json:"orderId" check:"id"`
}

func (ShoppingListCreated) EventName() string   { return ShoppingListCreatedName }
func (ShoppingListAvailable) EventName() string { return ShoppingListAvailableName }
func (ShoppingListAssigned) EventName() string  { return ShoppingListAssignedName }
func (ShoppingListCompleted) EventName() string { return ShoppingListCompletedName }
func (ShoppingListCanceled) EventName() string  { return ShoppingListCanceledName }

// Validate checks each payload against its fields' check tags (see Payload).
func (e ShoppingListCreated) Validate() error   { return validate(e) }
func (e ShoppingListAvailable) Validate() error { return validate(e) }
func (e ShoppingListAssigned) Validate() error  { return validate(e) }
func (e ShoppingListCompleted) Validate() error { return validate(e) }
func (e ShoppingListCanceled) Validate() error  { return validate(e) }
