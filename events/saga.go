package events

// CreateOrderReplyName is the wire name of the answer to every create-order
// saga command; the saga owns the topic and every command receiver publishes
// to it.
const CreateOrderReplyName = "saga.CreateOrderReply"

// CreateOrderReply answers one saga command. Success false means the command
// was refused for a business reason (Reason says which, for the order's
// rejection); infrastructure failures are retried, never replied.
type CreateOrderReply struct {
	OrderID string `json:"orderId" check:"id"`
	// Command is the wire name of the command answered
	// ("depot.CreateShoppingList").
	Command string `json:"command" check:"text"`
	Success bool   `json:"success"`
	Reason  string `json:"reason,omitempty"`
	// ShoppingID is set by a successful depot.CreateShoppingList.
	ShoppingID string `json:"shoppingId,omitempty" check:"id,optional"`
}

func (CreateOrderReply) EventName() string { return CreateOrderReplyName }

// Validate checks each payload against its fields' check tags (see Payload).
func (e CreateOrderReply) Validate() error { return validate(e) }
