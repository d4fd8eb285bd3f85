package search_test

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
	"github.com/mallbots/mallbots/handlers/search"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

func newAPI(t *testing.T) (http.Handler, *fakeRepo) {
	t.Helper()
	repo := newFakeRepo()
	mux := httpapi.NewMux()
	search.New(repo, func() time.Time { return clock }).Routes(mux)
	return mux, repo
}

var sample = ordersearch.Order{
	ID: orderID, CustomerID: customerID, CustomerName: "Ada", Total: 1734, Status: orderstatus.Rejected, Reason: "payment declined",
	CreatedAt: time.Date(2024, 5, 1, 10, 0, 0, 123_000_000, time.UTC), UpdatedAt: time.Date(2024, 5, 1, 10, 1, 0, 0, time.UTC),
	Items: []ordersearch.Item{{StoreID: storeID, StoreName: "Waffles", ProductID: productID, ProductName: "Syrup", Price: 1234, Quantity: 1}},
}

const sampleJSON = `{"orderId":"` + orderID + `","customerId":"` + customerID + `","customerName":"Ada",
	"items":[{"storeId":"` + storeID + `","storeName":"Waffles","productId":"` + productID + `","productName":"Syrup","price":12.34,"quantity":1}],
	"total":17.34,"status":"rejected","reason":"payment declined",
	"createdAt":"2024-05-01T10:00:00.123Z","updatedAt":"2024-05-01T10:01:00Z"}`

func TestHTTPGetOrder(t *testing.T) {
	api, repo := newAPI(t)
	repo.orders[orderID] = sample
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/search/orders/"+orderID, ""), http.StatusOK, `{"order":`+sampleJSON+`}`)

	// A pending order has no reason and, with no items, an empty list.
	repo.orders[orderID] = ordersearch.Order{ID: orderID, CustomerID: customerID, Status: orderstatus.Pending, CreatedAt: t0, UpdatedAt: t0}
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/search/orders/"+orderID, ""), http.StatusOK,
		`{"order":{"orderId":"`+orderID+`","customerId":"`+customerID+`","customerName":"","items":[],"total":0.00,
		"status":"pending","createdAt":"2024-05-01T10:00:00.123Z","updatedAt":"2024-05-01T10:00:00.123Z"}}`)

	testkit.AssertProblem(t, testkit.Request(t, api, http.MethodGet, "/api/search/orders/00000000-0000-4000-8000-000000000999", ""),
		http.StatusNotFound, "order 00000000-0000-4000-8000-000000000999")
	testkit.AssertProblem(t, testkit.Request(t, api, http.MethodGet, "/api/search/orders/42", ""), http.StatusBadRequest, "")
}

func TestHTTPSearchOrdersAnswersThePage(t *testing.T) {
	api, repo := newAPI(t)
	next := ordersearch.CursorAt(sample)
	repo.page = &ordersearch.Page{Orders: []ordersearch.Order{sample}, Next: next}
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/search/orders", `{}`), http.StatusOK,
		`{"orders":[`+sampleJSON+`],"next":"`+next.String()+`"}`)
	if q := repo.queries[0]; !reflect.DeepEqual(q, ordersearch.Query{Limit: ordersearch.DefaultLimit}) {
		t.Errorf("query = %+v, want no filter, the first page, the default limit", q)
	}

	// The last page has no next cursor; the client sends back what it got.
	repo.page = &ordersearch.Page{Orders: []ordersearch.Order{}}
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/search/orders", `{"next":"`+next.String()+`","limit":100}`), http.StatusOK,
		`{"orders":[],"next":""}`)
	if q := repo.queries[1]; q.Cursor != next || q.Limit != 100 {
		t.Errorf("query = %+v, want the page after %+v, 100 orders", q, next)
	}
}

func TestHTTPSearchOrdersFilters(t *testing.T) {
	const (
		upper  = "00000000-0000-4000-8000-0000000000C1" // canonicalised to lowercase
		store2 = "00000000-0000-4000-8000-0000000000b2"
	)
	may1 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	cents := func(n int64) *int64 { return &n }
	tests := []struct {
		name    string
		filters string
		want    ordersearch.Filter
	}{
		{"none", `{}`, ordersearch.Filter{}},
		{"customer", `{"customerId":"` + upper + `"}`, ordersearch.Filter{CustomerID: customerID}},
		{"stores and products", `{"storeIds":["` + storeID + `","` + store2 + `"],"productIds":["` + productID + `"]}`,
			ordersearch.Filter{StoreIDs: []string{storeID, store2}, ProductIDs: []string{productID}}},
		{"status", `{"status":"ready"}`, ordersearch.Filter{Status: orderstatus.Ready}},
		{"totals", `{"minTotal":9.99,"maxTotal":100}`, ordersearch.Filter{MinTotal: cents(999), MaxTotal: cents(10000)}},
		{"zero minimum", `{"minTotal":0}`, ordersearch.Filter{MinTotal: cents(0)}},
		{"the book's dates", `{"afterDate":"2024-05-01T00:00:00Z","beforeDate":"2024-05-02T00:00:00+02:00"}`,
			ordersearch.Filter{After: may1, Before: may1.Add(22 * time.Hour)}},
		{"short names and plain dates", `{"after":"2024-05-01","before":"2024-05-02"}`,
			ordersearch.Filter{After: may1, Before: may1.Add(24 * time.Hour)}},
		{"everything", `{"customerId":"` + customerID + `","storeIds":["` + storeID + `"],"productIds":["` + productID + `"],
			"status":"completed","minTotal":1,"maxTotal":2,"afterDate":"2024-05-01","beforeDate":"2024-05-02"}`,
			ordersearch.Filter{CustomerID: customerID, StoreIDs: []string{storeID}, ProductIDs: []string{productID},
				Status: orderstatus.Completed, MinTotal: cents(100), MaxTotal: cents(200), After: may1, Before: may1.Add(24 * time.Hour)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, repo := newAPI(t)
			rec := testkit.Request(t, api, http.MethodPost, "/api/search/orders", `{"filters":`+tt.filters+`,"limit":5}`)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if q := repo.queries[0]; !reflect.DeepEqual(q.Filter, tt.want) || q.Limit != 5 {
				t.Errorf("query = %+v\nwant filter %+v and limit 5", q, tt.want)
			}
		})
	}
}

func TestHTTPSearchOrdersRejectsMalformedInput(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		status int
		fields []string // 422: every field named, in order
		detail string
	}{
		{"customer not a UUID", `{"filters":{"customerId":"ada"}}`, 422, []string{"filters.customerId"}, `filters.customerId must be a UUID, got "ada"`},
		{"store not a UUID", `{"filters":{"storeIds":["` + storeID + `","x"]}}`, 422, []string{"filters.storeIds[1]"}, "must be a UUID"},
		{"empty product", `{"filters":{"productIds":[""]}}`, 422, []string{"filters.productIds[0]"}, "must be a UUID, got an empty string"},
		{"unknown status", `{"filters":{"status":"shipped"}}`, 422, []string{"filters.status"},
			`filters.status must be one of pending, approved, ready, completed, rejected, canceled, got "shipped"`},
		{"negative total", `{"filters":{"minTotal":-1}}`, 422, []string{"filters.minTotal"}, "must not be negative, got -1.00"},
		{"too many decimals", `{"filters":{"maxTotal":9.999}}`, 422, nil, "maxTotal"},
		{"total range empty", `{"filters":{"minTotal":5,"maxTotal":4.99}}`, 422, []string{"filters.minTotal"}, "filters.minTotal must not exceed filters.maxTotal"},
		{"bad date", `{"filters":{"afterDate":"yesterday"}}`, 422, []string{"filters.afterDate"}, "must be an RFC 3339 timestamp"},
		{"bad short date", `{"filters":{"before":"05/01/2024"}}`, 422, []string{"filters.before"}, `got "05/01/2024"`},
		{"both names", `{"filters":{"after":"2024-05-01","afterDate":"2024-05-01"}}`, 422, []string{"filters.afterDate"}, "give one"},
		{"time range empty", `{"filters":{"after":"2024-05-02","beforeDate":"2024-05-01"}}`, 422, []string{"filters.after"}, "filters.after must be before filters.beforeDate"},
		{"limit too large", `{"limit":101}`, 422, []string{"limit"}, "must be between 1 and 100"},
		{"negative limit", `{"limit":-1}`, 422, []string{"limit"}, "got -1"},
		{"bad cursor", `{"next":"bm9wZQ"}`, 422, []string{"next"}, "is not a cursor this search returned"},
		{"everything at once", `{"filters":{"customerId":"x","status":"?","storeIds":["y"]},"limit":1000,"next":"!"}`, 422,
			[]string{"filters.customerId", "filters.storeIds[0]", "filters.status", "next", "limit"}, "filters.customerId must be a UUID"},
		{"unknown filter", `{"filters":{"customer":"x"}}`, 400, nil, `unknown field "customer"`},
		{"wrong type", `{"filters":{"storeIds":"x"}}`, 400, nil, "storeIds"},
		{"malformed JSON", `{"filters":`, 400, nil, "malformed JSON"},
		{"empty body", ``, 400, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, repo := newAPI(t)
			p := testkit.AssertProblem(t, testkit.Request(t, api, http.MethodPost, "/api/search/orders", tt.body), tt.status, tt.detail)
			if tt.fields != nil {
				var got []string
				for _, e := range p.Errors {
					got = append(got, e.Field)
				}
				if !reflect.DeepEqual(got, tt.fields) {
					t.Errorf("fields = %v, want %v", got, tt.fields)
				}
			}
			if len(repo.queries) != 0 {
				t.Errorf("searched %+v despite the bad input", repo.queries)
			}
		})
	}
}

func TestHTTPSearchOrdersHidesStorageErrors(t *testing.T) {
	api, repo := newAPI(t)
	repo.err = errors.New("relation search.orders does not exist")
	rec := testkit.Request(t, api, http.MethodPost, "/api/search/orders", `{}`)
	testkit.AssertProblem(t, rec, http.StatusInternalServerError, "internal error")
	if strings.Contains(rec.Body.String(), "does not exist") {
		t.Errorf("500 body = %s, want the generic detail only", rec.Body)
	}
}
