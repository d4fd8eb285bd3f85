package events_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/events"
)

const (
	id1 = "0190a4d2-0000-7000-8000-000000000001"
	id2 = "0190a4d2-0000-7000-8000-000000000002"
	id3 = "0190A4D2-0000-7000-8000-000000000003" // upper case is a UUID too
	id4 = "0190a4d2-0000-7000-8000-000000000004"
)

var item = events.Item{StoreID: id1, StoreName: "Robo Parts", ProductID: id2, ProductName: "Servo", Price: 999, Quantity: 2}

// valid holds one well-formed example of every event and command.
var valid = []events.Payload{
	events.StoreCreated{StoreID: id1, Name: "Robo Parts", Location: "Level 1", Version: 1},
	events.StoreRebranded{StoreID: id1, Name: "Robo Bits", Version: 2},
	events.StoreParticipationEnabled{StoreID: id1, Version: 3},
	events.StoreParticipationDisabled{StoreID: id1, Version: 4},
	events.ProductAdded{ProductID: id2, StoreID: id1, Name: "Servo", Price: 999, Version: 1},
	events.ProductRebranded{ProductID: id2, StoreID: id1, Name: "Big servo", Version: 2},
	events.ProductPriceIncreased{ProductID: id2, StoreID: id1, Delta: 1, Price: 1000, Version: 3},
	events.ProductPriceDecreased{ProductID: id2, StoreID: id1, Delta: 1, Price: 999, Version: 4},
	events.ProductRemoved{ProductID: id2, StoreID: id1, Version: 5},
	events.CustomerRegistered{CustomerID: id1, Name: "Ada", SmsNumber: "+1 555 123 4567", Enabled: true, Version: 1},
	events.CustomerSmsChanged{CustomerID: id1, SmsNumber: "+1 555 123 4568", Version: 2},
	events.CustomerEnabled{CustomerID: id1, Version: 3},
	events.CustomerDisabled{CustomerID: id1, Version: 4},
	events.BasketStarted{BasketID: id1, CustomerID: id2},
	events.BasketItemAdded{BasketID: id1, Item: item},
	events.BasketItemRemoved{BasketID: id1, ProductID: id2, Quantity: 1},
	events.BasketCanceled{BasketID: id1},
	events.BasketCheckedOut{BasketID: id1, CustomerID: id2, PaymentID: id3, Items: []events.Item{item}},
	events.OrderCreated{OrderID: id1, CustomerID: id2, PaymentID: id3, Items: []events.Item{item}, Total: 1998},
	events.OrderApproved{OrderID: id1, CustomerID: id2, ShoppingID: id3},
	events.OrderRejected{OrderID: id1, CustomerID: id2, Reason: "customer is disabled"},
	events.OrderReadied{OrderID: id1, CustomerID: id2, PaymentID: id3, InvoiceID: id4, Total: 1998},
	events.OrderCanceled{OrderID: id1, CustomerID: id2, PaymentID: id3}, // no list yet
	events.OrderCompleted{OrderID: id1, CustomerID: id2, InvoiceID: id4},
	events.ShoppingListCreated{ShoppingID: id1, OrderID: id2, Stops: 1},
	events.ShoppingListAvailable{ShoppingID: id1, OrderID: id2},
	events.ShoppingListAssigned{ShoppingID: id1, OrderID: id2, BotID: id3},
	events.ShoppingListCompleted{ShoppingID: id1, OrderID: id2},
	events.ShoppingListCanceled{ShoppingID: id1, OrderID: id2},
	events.PaymentAuthorized{PaymentID: id1, CustomerID: id2, Amount: 1998},
	events.PaymentConfirmed{PaymentID: id1, OrderID: id2, Amount: 1998},
	events.PaymentVoided{PaymentID: id1, OrderID: id2, Reason: "order canceled"},
	events.InvoiceCreated{InvoiceID: id1, OrderID: id2, PaymentID: id3, Amount: 1998},
	events.InvoicePaid{InvoiceID: id1, OrderID: id2, Amount: 1998},
	events.InvoiceCanceled{InvoiceID: id1, OrderID: id2},
	events.AuthorizeCustomer{OrderID: id1, CustomerID: id2},
	events.CreateShoppingList{OrderID: id1, Items: []events.Item{item}},
	events.InitiateShopping{OrderID: id1, ShoppingID: id2},
	events.CancelShoppingList{OrderID: id1}, // the order's list, whichever it is
	events.ConfirmPayment{OrderID: id1, PaymentID: id2, CustomerID: id3, Amount: 1998},
	events.VoidPayment{OrderID: id1, PaymentID: id2},
	events.ApproveOrder{OrderID: id1, ShoppingID: id2},
	events.RejectOrder{OrderID: id1, Reason: "payment refused"},
	events.CreateOrderReply{OrderID: id1, Command: events.AuthorizeCustomerName, Success: true},
}

// TestEveryEventIsAValidatedPayload checks that the examples above cover
// every type of the package with an EventName method (so each has a
// Validate, and a consumer's decoder can call it), that each example is
// valid, and that each zero value is refused with the event's name.
func TestEveryEventIsAValidatedPayload(t *testing.T) {
	covered := map[string]bool{}
	for _, e := range valid {
		name := reflect.TypeOf(e).Name()
		covered[name] = true
		if err := e.Validate(); err != nil {
			t.Errorf("%s: valid example refused: %v", name, err)
		}
		zero := reflect.Zero(reflect.TypeOf(e)).Interface().(events.Payload)
		err := zero.Validate()
		if !errors.Is(err, events.ErrInvalidPayload) || !strings.HasPrefix(err.Error(), "invalid "+e.EventName()+" payload: ") ||
			!strings.Contains(err.Error(), "is required") {
			t.Errorf("%s: zero value gives %v, want an ErrInvalidPayload naming %s with a required field", name, err, e.EventName())
		}
	}
	var missing []string
	for _, name := range eventTypes(t) {
		if !covered[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("events without an example here (and perhaps without Validate): %s", strings.Join(missing, ", "))
	}
}

// eventTypes parses the package and returns every type with an EventName
// method.
func eventTypes(t *testing.T) []string {
	t.Helper()
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv == nil || fn.Name.Name != "EventName" {
					continue
				}
				if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok {
					names = append(names, id.Name)
				}
			}
		}
	}
	if len(names) < len(valid) {
		t.Fatalf("found %d event types, fewer than the %d examples: the parse is wrong", len(names), len(valid))
	}
	return names
}

func TestValidateNamesEveryProblem(t *testing.T) {
	for _, tc := range []struct {
		name string
		e    events.Payload
		want string // the whole error text; "" for valid
	}{
		{"empty payload", events.OrderCreated{},
			"invalid orders.OrderCreated payload: orderId is required; customerId is required; paymentId is required; items is empty"},
		{"malformed IDs are quoted", events.AuthorizeCustomer{OrderID: "42", CustomerID: id1 + " "},
			`invalid customers.AuthorizeCustomer payload: orderId "42" is not a UUID; customerId "` + id1 + ` " is not a UUID`},
		{"a long value is cut", events.BasketCanceled{BasketID: strings.Repeat("x", 100)},
			`invalid baskets.BasketCanceled payload: basketId "` + strings.Repeat("x", 40) + `…" is not a UUID`},
		{"items are checked one by one", events.CreateShoppingList{OrderID: id1, Items: []events.Item{item, {StoreID: id1, ProductID: "p", Price: -1}}},
			`invalid depot.CreateShoppingList payload: items[1].productId "p" is not a UUID; items[1].price is -1, less than 0; items[1].quantity is 0, less than 1`},
		{"blank text is missing text", events.StoreCreated{StoreID: id1, Name: "  ", Location: "L1", Version: 1},
			"invalid stores.StoreCreated payload: name is required"},
		{"NUL in optional text", events.ProductRebranded{ProductID: id2, StoreID: id1, Name: "Servo", Description: "a\x00b", Version: 2},
			"invalid stores.ProductRebranded payload: description holds a NUL byte"},
		{"amounts and versions in range", events.ProductPriceDecreased{ProductID: id2, StoreID: id1, Delta: 0, Price: -5, Version: 0},
			"invalid stores.ProductPriceDecreased payload: delta is 0, less than 1; price is -5, less than 1; version is 0, less than 1"},
		{"optional shopping ID, when set, is a UUID", events.OrderCanceled{OrderID: id1, CustomerID: id2, PaymentID: id3, ShoppingID: "list"},
			`invalid orders.OrderCanceled payload: shoppingId "list" is not a UUID`},
		{"a reply names its command", events.CreateOrderReply{OrderID: id1, Success: true},
			"invalid saga.CreateOrderReply payload: command is required"},
		{"a failure reply is valid without a shopping ID", events.CreateOrderReply{OrderID: id1, Command: events.CreateShoppingListName, Reason: "no stops"}, ""},
		{"an order canceled with its list", events.OrderCanceled{OrderID: id1, CustomerID: id2, PaymentID: id3, ShoppingID: id4}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.e.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate() = %q\nwant        %q", got, tc.want)
			}
		})
	}
}

// TestCheckTagsAreKnownRules: a misspelt rule would check nothing, so every
// check tag must be one validate knows, on a field of a kind it applies to.
func TestCheckTagsAreKnownRules(t *testing.T) {
	minRule := regexp.MustCompile(`^min=-?\d+$`)
	var walk func(path string, typ reflect.Type)
	walk = func(path string, typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			rule, tagged := f.Tag.Lookup("check")
			where := path + "." + f.Name
			switch k := f.Type.Kind(); {
			case k == reflect.Struct:
				walk(where, f.Type)
			case k == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
				walk(where+"[]", f.Type.Elem())
				if tagged && rule != "nonempty" {
					t.Errorf("%s: rule %q on a slice, want nonempty", where, rule)
				}
			case !tagged:
			case k == reflect.String && (rule == "id" || rule == "id,optional" || rule == "text"):
			case (k == reflect.Int || k == reflect.Int64) && minRule.MatchString(rule):
			default:
				t.Errorf("%s: unknown rule %q for a %s", where, rule, k)
			}
		}
	}
	for _, e := range valid {
		walk(reflect.TypeOf(e).Name(), reflect.TypeOf(e))
	}
}
