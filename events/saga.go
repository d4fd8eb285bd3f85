package events

// CreateOrderReplyName is the wire name of the answer to every create-order
// saga command; the saga owns the topic and every command receiver publishes
// to it.
const CreateOrderReplyName = "saga.CreateOrderReply"

// CreateOrderReply answers one saga command. Success false means the command
// was refused for a business reason (Reason says which, for the order's
// rejection); infrastructure failures are retried, never replied.
type CreateOrderReply struct {
	OrderID string `json:"orderId"`
	// Command is the wire name of the command answered
	// ("depot.CreateShoppingList").
	Command string `json:"command"`
	Success bool   `json:"success"`
	Reason  string `json:"reason,omitempty"`
	// ShoppingID is set by a successful depot.CreateShoppingList.
	ShoppingID string `json:"shoppingId,omitempty"`
}

func (CreateOrderReply) EventName() string { return CreateOrderReplyName }

// Validate reports what CreateOrderReply is missing (see Payload): the
// order and the command answered; shoppingId, when set, is a UUID.
func (e CreateOrderReply) Validate() error {
	var c check
	c.id("orderId", e.OrderID)
	c.text("command", e.Command)
	c.optionalText("reason", e.Reason)
	c.optionalID("shoppingId", e.ShoppingID)
	return c.err(e)
}
