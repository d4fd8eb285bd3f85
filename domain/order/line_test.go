package order_test

import (
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/catalog"
	"github.com/mallbots/mallbots/domain/order"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func TestLineItem(t *testing.T) {
	servo := catalog.Product{ID: productID, StoreID: storeID, StoreName: "Robo Parts", Name: "Servo", Price: 999}
	cents := func(c int64) *int64 { return &c }
	tests := []struct {
		name              string
		line              order.Line
		product           catalog.Product
		wantErr, wantKind error
		wantText          string
	}{
		{name: "ids and quantity only: all else from the catalog",
			line: order.Line{StoreID: storeID, ProductID: productID, Quantity: 2}, product: servo},
		{name: "the book's full line, as the catalog says it",
			line: order.Line{StoreID: strings.ToUpper(storeID), ProductID: productID, Quantity: 2,
				StoreName: " Robo Parts ", ProductName: "Servo", Price: cents(999)}, product: servo},
		{name: "a price of its own",
			line: order.Line{StoreID: storeID, ProductID: productID, Quantity: 2, Price: cents(1)}, product: servo,
			wantErr: order.ErrNotAsInCatalog, wantKind: domain.ErrInvalid,
			wantText: "item 3: product " + productID + " costs 9.99, not 0.01"},
		{name: "a price of zero is a price sent",
			line: order.Line{StoreID: storeID, ProductID: productID, Quantity: 2, Price: cents(0)}, product: servo,
			wantErr: order.ErrNotAsInCatalog, wantKind: domain.ErrInvalid, wantText: "costs 9.99, not 0.00"},
		{name: "a stale product name",
			line: order.Line{StoreID: storeID, ProductID: productID, Quantity: 2, ProductName: "Old servo"}, product: servo,
			wantErr: order.ErrNotAsInCatalog, wantKind: domain.ErrInvalid,
			wantText: `item 3: product ` + productID + ` is called "Servo", not "Old servo"`},
		{name: "a stale store name",
			line: order.Line{StoreID: storeID, ProductID: productID, Quantity: 2, StoreName: "Robo Bits"}, product: servo,
			wantErr: order.ErrNotAsInCatalog, wantKind: domain.ErrInvalid,
			wantText: `item 3: store ` + storeID + ` is called "Robo Parts", not "Robo Bits"`},
		{name: "another store",
			line: order.Line{StoreID: otherID, ProductID: productID, Quantity: 2}, product: servo,
			wantErr: order.ErrNotAsInCatalog, wantKind: domain.ErrInvalid,
			wantText: "item 3: product " + productID + " is sold by store " + storeID + ", not by store " + otherID},
		{name: "a store id that is not a UUID",
			line: order.Line{StoreID: "robo", ProductID: productID, Quantity: 2}, product: servo,
			wantErr: order.ErrInvalidItem, wantKind: domain.ErrInvalid, wantText: `order item 3: store id is not a UUID: "robo"`},
		{name: "a store not known yet",
			line:    order.Line{StoreID: storeID, ProductID: productID, Quantity: 2},
			product: catalog.Product{ID: productID, StoreID: storeID, Name: "Servo", Price: 999},
			wantErr: order.ErrStoreUnknown, wantKind: domain.ErrInvalid,
			wantText: "item 3: store " + storeID + " of product " + productID + " is not known to orders yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.line.Item(3, tt.product)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if err != nil {
				if !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("error %q does not say %q", err, tt.wantText)
				}
				return
			}
			if want := item(999, 2); got != want {
				t.Errorf("item = %+v, want %+v", got, want)
			}
		})
	}
}
