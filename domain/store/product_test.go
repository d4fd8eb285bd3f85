package store_test

import (
	"math"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/store"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func TestNewProduct(t *testing.T) {
	type args struct {
		id, storeID, name, description, sku string
		price                               int64
	}
	valid := args{id: "p1", storeID: "s1", name: "Widget", description: "A fine widget", sku: "W-1", price: 1999}
	// with returns valid changed by f.
	with := func(f func(*args)) args {
		a := valid
		f(&a)
		return a
	}

	tests := []struct {
		name              string
		in                args
		wantErr, wantKind error
		wantMsg           string // substring of the error, when set
		want              args   // expected getters on success
	}{
		{name: "valid", in: valid, want: valid},
		{name: "trims text fields", in: with(func(a *args) {
			a.name, a.description, a.sku = "  Widget\t", "\n A fine widget ", " W-1 "
		}), want: valid},
		{name: "empty description and sku", in: with(func(a *args) { a.description, a.sku = "", "" }),
			want: with(func(a *args) { a.description, a.sku = "", "" })},
		{name: "whitespace description and sku become empty", in: with(func(a *args) { a.description, a.sku = "  ", "\t" }),
			want: with(func(a *args) { a.description, a.sku = "", "" })},
		{name: "all text at limits", in: with(func(a *args) {
			a.name = strings.Repeat("é", store.MaxProductNameLen)
			a.description = strings.Repeat("é", store.MaxDescriptionLen)
			a.sku = strings.Repeat("é", store.MaxSKULen)
		}), want: with(func(a *args) {
			a.name = strings.Repeat("é", store.MaxProductNameLen)
			a.description = strings.Repeat("é", store.MaxDescriptionLen)
			a.sku = strings.Repeat("é", store.MaxSKULen)
		})},
		{name: "price of one cent", in: with(func(a *args) { a.price = 1 }), want: with(func(a *args) { a.price = 1 })},
		{name: "price at max", in: with(func(a *args) { a.price = store.MaxPrice }), want: with(func(a *args) { a.price = store.MaxPrice })},

		{name: "empty id", in: with(func(a *args) { a.id = "" }),
			wantErr: store.ErrProductIDRequired, wantKind: domain.ErrInvalid, wantMsg: "product id is required"},
		{name: "whitespace id", in: with(func(a *args) { a.id = "  " }),
			wantErr: store.ErrProductIDRequired, wantKind: domain.ErrInvalid},
		{name: "empty store id", in: with(func(a *args) { a.storeID = "" }),
			wantErr: store.ErrIDRequired, wantKind: domain.ErrInvalid, wantMsg: "store id is required"},
		{name: "whitespace store id", in: with(func(a *args) { a.storeID = "\t" }),
			wantErr: store.ErrIDRequired, wantKind: domain.ErrInvalid},
		{name: "empty name", in: with(func(a *args) { a.name = "" }),
			wantErr: store.ErrProductNameRequired, wantKind: domain.ErrInvalid, wantMsg: "product name is required"},
		{name: "whitespace name", in: with(func(a *args) { a.name = " \n " }),
			wantErr: store.ErrProductNameRequired, wantKind: domain.ErrInvalid},
		{name: "name too long", in: with(func(a *args) { a.name = strings.Repeat("a", store.MaxProductNameLen+1) }),
			wantErr: store.ErrProductNameTooLong, wantKind: domain.ErrInvalid, wantMsg: "product name is too long: 101 characters, at most 100"},
		{name: "description too long", in: with(func(a *args) { a.description = strings.Repeat("a", store.MaxDescriptionLen+1) }),
			wantErr: store.ErrDescriptionTooLong, wantKind: domain.ErrInvalid, wantMsg: "product description is too long"},
		{name: "sku too long", in: with(func(a *args) { a.sku = strings.Repeat("a", store.MaxSKULen+1) }),
			wantErr: store.ErrSKUTooLong, wantKind: domain.ErrInvalid, wantMsg: "product sku is too long"},
		{name: "zero price", in: with(func(a *args) { a.price = 0 }),
			wantErr: store.ErrPriceNotPositive, wantKind: domain.ErrInvalid, wantMsg: "price must be greater than zero: got 0.00"},
		{name: "negative price", in: with(func(a *args) { a.price = -105 }),
			wantErr: store.ErrPriceNotPositive, wantKind: domain.ErrInvalid, wantMsg: "got -1.05"},
		{name: "most negative price", in: with(func(a *args) { a.price = math.MinInt64 }),
			wantErr: store.ErrPriceNotPositive, wantKind: domain.ErrInvalid, wantMsg: "got -92233720368547758.08"},
		{name: "price one cent over max", in: with(func(a *args) { a.price = store.MaxPrice + 1 }),
			wantErr: store.ErrPriceTooHigh, wantKind: domain.ErrInvalid, wantMsg: "must not exceed 1000000.00: got 1000000.01"},
		{name: "huge price", in: with(func(a *args) { a.price = math.MaxInt64 }),
			wantErr: store.ErrPriceTooHigh, wantKind: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			p, err := store.NewProduct(in.id, in.storeID, in.name, in.description, in.sku, in.price)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if tt.wantErr != nil {
				if p != nil {
					t.Errorf("got product %+v with error, want nil", p)
				}
				if !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("error %q does not contain %q", err, tt.wantMsg)
				}
				return
			}
			got := args{p.ID(), p.StoreID(), p.Name(), p.Description(), p.SKU(), p.Price()}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRehydrateProduct(t *testing.T) {
	// Rehydrate trusts storage: values New would reject must come back as stored.
	p := store.RehydrateProduct("p1", "s1", " ", "d", "sku", 0, 3)
	if p.ID() != "p1" || p.StoreID() != "s1" || p.Name() != " " || p.Description() != "d" || p.SKU() != "sku" || p.Price() != 0 {
		t.Errorf("RehydrateProduct = {%q %q %q %q %q %d}", p.ID(), p.StoreID(), p.Name(), p.Description(), p.SKU(), p.Price())
	}
}

func newProduct(t *testing.T, price int64) *store.Product {
	t.Helper()
	p, err := store.NewProduct("p1", "s1", "Widget", "A fine widget", "W-1", price)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProductRebrand(t *testing.T) {
	tests := []struct {
		name              string
		newName, newDesc  string
		wantErr, wantKind error
		wantName          string
		wantDesc          string
	}{
		{name: "new name and description", newName: "Gadget", newDesc: "Shiny", wantName: "Gadget", wantDesc: "Shiny"},
		{name: "trims", newName: " Gadget ", newDesc: "\tShiny\n", wantName: "Gadget", wantDesc: "Shiny"},
		{name: "identical values are allowed", newName: "Widget", newDesc: "A fine widget", wantName: "Widget", wantDesc: "A fine widget"},
		{name: "clears description", newName: "Widget", newDesc: "  ", wantName: "Widget", wantDesc: ""},
		{name: "blank name", newName: "  ", newDesc: "Shiny",
			wantErr: store.ErrProductNameRequired, wantKind: domain.ErrInvalid, wantName: "Widget", wantDesc: "A fine widget"},
		{name: "name too long", newName: strings.Repeat("n", store.MaxProductNameLen+1), newDesc: "Shiny",
			wantErr: store.ErrProductNameTooLong, wantKind: domain.ErrInvalid, wantName: "Widget", wantDesc: "A fine widget"},
		{name: "description too long leaves name unchanged", newName: "Gadget", newDesc: strings.Repeat("d", store.MaxDescriptionLen+1),
			wantErr: store.ErrDescriptionTooLong, wantKind: domain.ErrInvalid, wantName: "Widget", wantDesc: "A fine widget"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProduct(t, 500)
			domaintest.AssertErr(t, p.Rebrand(tt.newName, tt.newDesc), tt.wantErr, tt.wantKind)
			if p.Name() != tt.wantName || p.Description() != tt.wantDesc {
				t.Errorf("got name %q description %q, want %q %q", p.Name(), p.Description(), tt.wantName, tt.wantDesc)
			}
		})
	}
}

func TestIncreasePrice(t *testing.T) {
	tests := []struct {
		name              string
		price, delta      int64
		wantErr, wantKind error
		wantMsg           string
		wantPrice         int64
	}{
		{name: "by one cent", price: 500, delta: 1, wantPrice: 501},
		{name: "to exactly max", price: 500, delta: store.MaxPrice - 500, wantPrice: store.MaxPrice},
		{name: "zero delta", price: 500, delta: 0,
			wantErr: store.ErrPriceChangeNotPositive, wantKind: domain.ErrInvalid, wantMsg: "got 0.00", wantPrice: 500},
		{name: "negative delta", price: 500, delta: -100,
			wantErr: store.ErrPriceChangeNotPositive, wantKind: domain.ErrInvalid, wantMsg: "got -1.00", wantPrice: 500},
		{name: "one cent past max", price: 500, delta: store.MaxPrice - 499,
			wantErr: store.ErrPriceTooHigh, wantKind: domain.ErrInvalid,
			wantMsg: "increasing price 5.00 by 999995.01 would exceed it", wantPrice: 500},
		{name: "at max already", price: store.MaxPrice, delta: 1,
			wantErr: store.ErrPriceTooHigh, wantKind: domain.ErrInvalid, wantPrice: store.MaxPrice},
		{name: "delta that would overflow int64", price: 500, delta: math.MaxInt64,
			wantErr: store.ErrPriceTooHigh, wantKind: domain.ErrInvalid, wantPrice: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProduct(t, tt.price)
			err := p.IncreasePrice(tt.delta)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if p.Price() != tt.wantPrice {
				t.Errorf("Price() = %d, want %d", p.Price(), tt.wantPrice)
			}
		})
	}
}

func TestDecreasePrice(t *testing.T) {
	tests := []struct {
		name              string
		price, delta      int64
		wantErr, wantKind error
		wantMsg           string
		wantPrice         int64
	}{
		{name: "by one cent", price: 500, delta: 1, wantPrice: 499},
		{name: "to one cent", price: 500, delta: 499, wantPrice: 1},
		{name: "zero delta", price: 500, delta: 0,
			wantErr: store.ErrPriceChangeNotPositive, wantKind: domain.ErrInvalid, wantMsg: "price change must be greater than zero", wantPrice: 500},
		{name: "negative delta", price: 500, delta: -1,
			wantErr: store.ErrPriceChangeNotPositive, wantKind: domain.ErrInvalid, wantMsg: "got -0.01", wantPrice: 500},
		{name: "to zero", price: 500, delta: 500,
			wantErr: store.ErrPriceNotPositive, wantKind: domain.ErrInvalid,
			wantMsg: "decreasing price 5.00 by 5.00 would make it zero or negative", wantPrice: 500},
		{name: "below zero", price: 500, delta: 600,
			wantErr: store.ErrPriceNotPositive, wantKind: domain.ErrInvalid,
			wantMsg: "decreasing price 5.00 by 6.00 would make it zero or negative", wantPrice: 500},
		{name: "huge delta", price: 500, delta: math.MaxInt64,
			wantErr: store.ErrPriceNotPositive, wantKind: domain.ErrInvalid, wantPrice: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProduct(t, tt.price)
			err := p.DecreasePrice(tt.delta)
			domaintest.AssertErr(t, err, tt.wantErr, tt.wantKind)
			if err != nil && !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantMsg)
			}
			if p.Price() != tt.wantPrice {
				t.Errorf("Price() = %d, want %d", p.Price(), tt.wantPrice)
			}
		})
	}
}
