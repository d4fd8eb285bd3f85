package ordersearch_test

import (
	"encoding/base64"
	"reflect"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/internal/domaintest"
)

func cents(n int64) *int64 { return &n }

func TestFilterValidate(t *testing.T) {
	t1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Hour)
	tests := []struct {
		name     string
		filter   ordersearch.Filter
		sentinel error
	}{
		{"zero filter", ordersearch.Filter{}, nil},
		{"min only", ordersearch.Filter{MinTotal: cents(0)}, nil},
		{"max only", ordersearch.Filter{MaxTotal: cents(100)}, nil},
		{"min equals max", ordersearch.Filter{MinTotal: cents(100), MaxTotal: cents(100)}, nil},
		{"min above max", ordersearch.Filter{MinTotal: cents(101), MaxTotal: cents(100)}, ordersearch.ErrTotalRange},
		{"negative min", ordersearch.Filter{MinTotal: cents(-1)}, ordersearch.ErrTotalRange},
		{"negative max", ordersearch.Filter{MaxTotal: cents(-1)}, ordersearch.ErrTotalRange},
		{"after only", ordersearch.Filter{After: t1}, nil},
		{"before only", ordersearch.Filter{Before: t1}, nil},
		{"after before before", ordersearch.Filter{After: t1, Before: t2}, nil},
		{"after equals before", ordersearch.Filter{After: t1, Before: t1}, ordersearch.ErrTimeRange},
		{"after past before", ordersearch.Filter{After: t2, Before: t1}, ordersearch.ErrTimeRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := error(nil)
			if tt.sentinel != nil {
				kind = domain.ErrInvalid
			}
			domaintest.AssertErr(t, tt.filter.Validate(), tt.sentinel, kind)
		})
	}
}

func TestNewQueryLimit(t *testing.T) {
	for _, tt := range []struct {
		limit, want int
		sentinel    error
	}{
		{0, ordersearch.DefaultLimit, nil}, {1, 1, nil}, {ordersearch.MaxLimit, ordersearch.MaxLimit, nil},
		{ordersearch.MaxLimit + 1, 0, ordersearch.ErrLimit}, {-1, 0, ordersearch.ErrLimit},
	} {
		q, err := ordersearch.NewQuery(ordersearch.Filter{}, ordersearch.Cursor{}, tt.limit)
		kind := error(nil)
		if tt.sentinel != nil {
			kind = domain.ErrInvalid
		}
		domaintest.AssertErr(t, err, tt.sentinel, kind)
		if err == nil && q.Limit != tt.want {
			t.Errorf("NewQuery(limit %d).Limit = %d, want %d", tt.limit, q.Limit, tt.want)
		}
	}
	_, err := ordersearch.NewQuery(ordersearch.Filter{MinTotal: cents(2), MaxTotal: cents(1)}, ordersearch.Cursor{}, 10)
	domaintest.AssertErr(t, err, ordersearch.ErrTotalRange, domain.ErrInvalid)
}

func TestCursorRoundTrip(t *testing.T) {
	c := ordersearch.Cursor{CreatedAt: time.Date(2024, 5, 1, 10, 11, 12, 123456000, time.UTC), OrderID: "0190c9a1-7b2c-7def-8000-00000000abcd"}
	token := c.String()
	got, err := ordersearch.ParseCursor(token)
	domaintest.AssertErr(t, err, nil, nil)
	if !reflect.DeepEqual(got, c) {
		t.Errorf("ParseCursor(String()) = %+v, want %+v", got, c)
	}
	if (ordersearch.Cursor{}).String() != "" {
		t.Error("the zero cursor must encode as the empty token")
	}
	zero, err := ordersearch.ParseCursor("")
	domaintest.AssertErr(t, err, nil, nil)
	if !zero.IsZero() {
		t.Errorf(`ParseCursor("") = %+v, want the zero cursor`, zero)
	}
	o := ordersearch.Order{ID: c.OrderID, CreatedAt: c.CreatedAt}
	if ordersearch.CursorAt(o) != c {
		t.Errorf("CursorAt = %+v, want %+v", ordersearch.CursorAt(o), c)
	}
}

func TestParseCursorRejectsForgeries(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, token := range []string{
		"not base64!",
		enc("garbage"),
		enc("2:1714558272123456:0190c9a1-7b2c-7def-8000-00000000abcd"), // unknown version
		enc("1:yesterday:0190c9a1-7b2c-7def-8000-00000000abcd"),
		enc("1:1714558272123456:not-a-uuid"),
		enc("1:1714558272123456:0190C9A1-7B2C-7DEF-8000-00000000ABCD"), // not the form String writes
		enc("1:1714558272123456:0190c9a1-7b2c-7def-8000-00000000abcd:extra"),
	} {
		_, err := ordersearch.ParseCursor(token)
		domaintest.AssertErr(t, err, ordersearch.ErrBadCursor, domain.ErrInvalid)
	}
}

func TestOrderStoreAndProductIDs(t *testing.T) {
	o := ordersearch.Order{Items: []ordersearch.Item{
		{StoreID: "s1", ProductID: "p1"}, {StoreID: "s2", ProductID: "p2"}, {StoreID: "s1", ProductID: "p3"}, {StoreID: "s2", ProductID: "p2"},
	}}
	if got := o.StoreIDs(); !reflect.DeepEqual(got, []string{"s1", "s2"}) {
		t.Errorf("StoreIDs = %v", got)
	}
	if got := o.ProductIDs(); !reflect.DeepEqual(got, []string{"p1", "p2", "p3"}) {
		t.Errorf("ProductIDs = %v", got)
	}
	if got := (ordersearch.Order{}).StoreIDs(); got == nil || len(got) != 0 {
		t.Errorf("StoreIDs of no items = %#v, want an empty, non-nil slice", got)
	}
}
