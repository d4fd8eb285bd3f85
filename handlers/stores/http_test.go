package stores_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/stores"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// env is the stores service over a fake repository, served the way
// cmd serves it: the service's routes on the httpapi.Mux.
type env struct {
	repo *fakeRepo
	api  http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	repo := newFakeRepo()
	mux := httpapi.NewMux()
	stores.New(repo, sequentialIDs()).Routes(mux)
	return &env{repo: repo, api: mux}
}

// createStore creates a store over HTTP and returns its ID.
func (e *env) createStore(t *testing.T, name, location string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "location": location})
	return createdID(t, testkit.Request(t, e.api, http.MethodPost, "/api/stores", string(body)))
}

// addProduct adds a product over HTTP; price is JSON number text like 9.99.
func (e *env) addProduct(t *testing.T, storeID, name, price string) string {
	t.Helper()
	body := `{"name":` + quote(name) + `,"description":"d","sku":"s","price":` + price + `}`
	return createdID(t, testkit.Request(t, e.api, http.MethodPost, "/api/stores/"+storeID+"/products", body))
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func createdID(t *testing.T, r *httptest.ResponseRecorder) string {
	t.Helper()
	if r.Code != http.StatusCreated {
		t.Fatalf("create: status %d, want 201; body %s", r.Code, r.Body)
	}
	var out map[string]string
	if err := json.Unmarshal(r.Body.Bytes(), &out); err != nil || len(out) != 1 || out["id"] == "" {
		t.Fatalf("create: body %s, want {\"id\": …} (%v)", r.Body, err)
	}
	return out["id"]
}

func assertEvents(t *testing.T, got, want []events.Event) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("published events\n got %#v\nwant %#v", got, want)
	}
}

const (
	firstID   = "00000000-0000-4000-8000-000000000001"
	missingID = "11111111-2222-4333-8444-555555555555"
)

func TestCreateStore(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		contentType string
		body        string
		status      int
		wantEvents  []events.Event
	}{
		{name: "created", body: `{"name":"  Waldo's Wares ","location":"Level 2"}`, status: http.StatusCreated,
			wantEvents: []events.Event{events.StoreCreated{StoreID: firstID, Name: "Waldo's Wares", Location: "Level 2", Version: 1}}},
		{name: "blank name", body: `{"name":"   ","location":"Level 2"}`, status: http.StatusUnprocessableEntity},
		{name: "missing location", body: `{"name":"Waldo"}`, status: http.StatusUnprocessableEntity},
		{name: "unknown field", body: `{"name":"Waldo","location":"L2","owner":"me"}`, status: http.StatusBadRequest},
		{name: "malformed JSON", body: `{"name":"Waldo",`, status: http.StatusBadRequest},
		{name: "not an object", body: `"Waldo"`, status: http.StatusBadRequest},
		{name: "empty body", body: ``, status: http.StatusBadRequest},
		{name: "name of the wrong type", body: `{"name":7,"location":"L2"}`, status: http.StatusBadRequest},
		{name: "body too large", body: `{"name":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `","location":"L2"}`,
			status: http.StatusRequestEntityTooLarge},
		{name: "not JSON", contentType: "text/plain", body: `{"name":"Waldo","location":"L2"}`, status: http.StatusUnsupportedMediaType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			req := httptest.NewRequest(http.MethodPost, "/api/stores", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			r := httptest.NewRecorder()
			e.api.ServeHTTP(r, req)
			if tc.status == http.StatusCreated {
				testkit.AssertJSON(t, r, http.StatusCreated, `{"id":"`+firstID+`"}`)
				if s := e.repo.store(firstID); s == nil || s.Name() != "Waldo's Wares" || s.Participating() {
					t.Errorf("stored store %+v, want a non-participating Waldo's Wares", s)
				}
			} else {
				testkit.AssertProblem(t, r, tc.status, "")
				if s := e.repo.store(firstID); s != nil {
					t.Errorf("a rejected create stored %+v", s)
				}
			}
			assertEvents(t, e.repo.published(), tc.wantEvents)
		})
	}
}

// step is one request of a scenario; "{id}" in path is replaced by the ID
// the scenario's setup created.
type step struct {
	method, path, body string
	status             int
}

func TestStoreCommands(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		steps []step
		// wantEvents lists what the steps publish, after the StoreCreated.
		wantEvents func(id string) []events.Event
		wantName   string
	}{
		{name: "rebrand",
			steps: []step{{"PUT", "/api/stores/{id}/rebrand", `{"name":" Waldo II "}`, 200}},
			wantEvents: func(id string) []events.Event {
				return []events.Event{events.StoreRebranded{StoreID: id, Name: "Waldo II", Version: 2}}
			},
			wantName: "Waldo II"},
		{name: "rebrand twice counts versions",
			steps: []step{
				{"PUT", "/api/stores/{id}/rebrand", `{"name":"B"}`, 200},
				{"PUT", "/api/stores/{id}/rebrand", `{"name":"C"}`, 200},
			},
			wantEvents: func(id string) []events.Event {
				return []events.Event{
					events.StoreRebranded{StoreID: id, Name: "B", Version: 2},
					events.StoreRebranded{StoreID: id, Name: "C", Version: 3},
				}
			},
			wantName: "C"},
		{name: "rebrand to a blank name",
			steps:    []step{{"PUT", "/api/stores/{id}/rebrand", `{"name":""}`, 422}},
			wantName: "Waldo"},
		{name: "rebrand with an unknown field",
			steps:    []step{{"PUT", "/api/stores/{id}/rebrand", `{"name":"X","location":"L9"}`, 400}},
			wantName: "Waldo"},
		{name: "rebrand an unknown store",
			steps:    []step{{"PUT", "/api/stores/" + missingID + "/rebrand", `{"name":"X"}`, 404}},
			wantName: "Waldo"},
		{name: "rebrand a bad UUID",
			steps:    []step{{"PUT", "/api/stores/waldo/rebrand", `{"name":"X"}`, 400}},
			wantName: "Waldo"},
		{name: "enable participation twice",
			steps: []step{
				{"PUT", "/api/stores/{id}/participating", "", 200},
				{"PUT", "/api/stores/{id}/participating", "", 409},
			},
			wantEvents: func(id string) []events.Event {
				return []events.Event{events.StoreParticipationEnabled{StoreID: id, Version: 2}}
			},
			wantName: "Waldo"},
		{name: "disable when not participating",
			steps:    []step{{"DELETE", "/api/stores/{id}/participating", "", 409}},
			wantName: "Waldo"},
		{name: "enable then disable",
			steps: []step{
				{"PUT", "/api/stores/{id}/participating", "", 200},
				{"DELETE", "/api/stores/{id}/participating", "", 200},
				{"DELETE", "/api/stores/{id}/participating", "", 409},
			},
			wantEvents: func(id string) []events.Event {
				return []events.Event{
					events.StoreParticipationEnabled{StoreID: id, Version: 2},
					events.StoreParticipationDisabled{StoreID: id, Version: 3},
				}
			},
			wantName: "Waldo"},
		{name: "participation of an unknown store",
			steps: []step{
				{"PUT", "/api/stores/" + missingID + "/participating", "", 404},
				{"DELETE", "/api/stores/" + missingID + "/participating", "", 404},
			},
			wantName: "Waldo"},
		{name: "participation of a bad UUID",
			steps: []step{
				{"PUT", "/api/stores/waldo/participating", "", 400},
				{"DELETE", "/api/stores/waldo/participating", "", 400},
			},
			wantName: "Waldo"},
		{name: "delete something else under a store",
			steps:    []step{{"DELETE", "/api/stores/{id}/whatever", "", 404}},
			wantName: "Waldo"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			id := e.createStore(t, "Waldo", "Level 2")
			for _, s := range tc.steps {
				testkit.AssertCommand(t, testkit.Request(t, e.api, s.method, strings.ReplaceAll(s.path, "{id}", id), s.body), s.status, "")
			}
			var want []events.Event
			if tc.wantEvents != nil {
				want = tc.wantEvents(id)
			}
			assertEvents(t, e.repo.published()[1:], want)
			if s := e.repo.store(id); s.Name() != tc.wantName || s.Version() != int64(1+len(want)) {
				t.Errorf("stored store %q version %d, want %q version %d", s.Name(), s.Version(), tc.wantName, 1+len(want))
			}
		})
	}
}

func TestGetStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.createStore(t, "Waldo", "Level 2")
	other := e.createStore(t, "Xena", "Level 3")
	testkit.AssertCommand(t, testkit.Request(t, e.api, "PUT", "/api/stores/"+other+"/participating", ""), 200, "")

	cases := []struct {
		name, path string
		status     int
		want       string
	}{
		{"store", "/api/stores/" + id, 200,
			`{"store":{"id":"` + id + `","name":"Waldo","location":"Level 2","participating":false}}`},
		{"participating store", "/api/stores/" + other, 200,
			`{"store":{"id":"` + other + `","name":"Xena","location":"Level 3","participating":true}}`},
		{"uppercase UUID", "/api/stores/" + strings.ToUpper(id), 200,
			`{"store":{"id":"` + id + `","name":"Waldo","location":"Level 2","participating":false}}`},
		{"unknown store", "/api/stores/" + missingID, 404, ""},
		{"bad UUID", "/api/stores/waldo", 400, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := testkit.Request(t, e.api, "GET", tc.path, "")
			if tc.status != 200 {
				testkit.AssertProblem(t, r, tc.status, "")
				return
			}
			testkit.AssertJSON(t, r, 200, tc.want)
		})
	}
}

func TestListStores(t *testing.T) {
	t.Parallel()
	empty := newEnv(t)
	e := newEnv(t)
	zeta := e.createStore(t, "Zeta", "L1")
	alpha := e.createStore(t, "Alpha", "L2")
	mid := e.createStore(t, "Mid", "L3")
	for _, id := range []string{zeta, mid} {
		testkit.AssertCommand(t, testkit.Request(t, e.api, "PUT", "/api/stores/"+id+"/participating", ""), 200, "")
	}
	js := func(id, name, loc string, p bool) string {
		b, _ := json.Marshal(map[string]any{"id": id, "name": name, "location": loc, "participating": p})
		return string(b)
	}

	cases := []struct {
		name string
		env  *env
		path string
		want string
	}{
		{"all stores by name", e, "/api/stores",
			`{"stores":[` + js(alpha, "Alpha", "L2", false) + `,` + js(mid, "Mid", "L3", true) + `,` + js(zeta, "Zeta", "L1", true) + `]}`},
		{"participating only", e, "/api/stores/participating",
			`{"stores":[` + js(mid, "Mid", "L3", true) + `,` + js(zeta, "Zeta", "L1", true) + `]}`},
		{"no stores is an empty list", empty, "/api/stores", `{"stores":[]}`},
		{"no participating stores is an empty list", empty, "/api/stores/participating", `{"stores":[]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testkit.AssertJSON(t, testkit.Request(t, tc.env.api, "GET", tc.path, ""), 200, tc.want)
		})
	}
}

func TestAddProduct(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		path   string // "{id}" is the store's ID
		body   string
		status int
		// badField is the field a 422 problem must name, if any.
		badField string
	}{
		{name: "added", path: "/api/stores/{id}/products",
			body: `{"name":" Widget ","description":"A widget","sku":"W-1","price":9.99}`, status: 201},
		{name: "price with three decimals", path: "/api/stores/{id}/products",
			body: `{"name":"Widget","price":9.999}`, status: 422, badField: "price"},
		{name: "negative price", path: "/api/stores/{id}/products",
			body: `{"name":"Widget","price":-1.00}`, status: 422},
		{name: "zero price", path: "/api/stores/{id}/products",
			body: `{"name":"Widget","price":0}`, status: 422},
		{name: "missing price", path: "/api/stores/{id}/products",
			body: `{"name":"Widget"}`, status: 422},
		{name: "price as a string", path: "/api/stores/{id}/products",
			body: `{"name":"Widget","price":"9.99"}`, status: 400},
		{name: "blank name", path: "/api/stores/{id}/products",
			body: `{"name":" ","price":9.99}`, status: 422},
		{name: "unknown field", path: "/api/stores/{id}/products",
			body: `{"name":"Widget","price":9.99,"stock":3}`, status: 400},
		{name: "unknown store", path: "/api/stores/" + missingID + "/products",
			body: `{"name":"Widget","price":9.99}`, status: 404},
		{name: "bad store UUID", path: "/api/stores/waldo/products",
			body: `{"name":"Widget","price":9.99}`, status: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			storeID := e.createStore(t, "Waldo", "L2")
			r := testkit.Request(t, e.api, "POST", strings.ReplaceAll(tc.path, "{id}", storeID), tc.body)
			after := e.repo.published()[1:]
			if tc.status != 201 {
				p := testkit.AssertProblem(t, r, tc.status, "")
				if tc.badField != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.badField) {
					t.Errorf("problem errors %+v, want one naming %q", p.Errors, tc.badField)
				}
				assertEvents(t, after, nil)
				return
			}
			pid := createdID(t, r)
			p := e.repo.product(pid)
			if p == nil || p.Price() != 999 || p.Name() != "Widget" || p.StoreID() != storeID {
				t.Fatalf("stored product %+v, want Widget of store %s at 999 cents", p, storeID)
			}
			assertEvents(t, after, []events.Event{events.ProductAdded{
				ProductID: pid, StoreID: storeID, Name: "Widget", Description: "A widget", SKU: "W-1", Price: 999, Version: 1,
			}})
		})
	}
}

func TestCatalogAndProduct(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	storeID := e.createStore(t, "Waldo", "L2")
	otherStore := e.createStore(t, "Xena", "L3")
	emptyStore := e.createStore(t, "Yak", "L4")
	widget := e.addProduct(t, storeID, "Widget", "9.99")
	bolt := e.addProduct(t, storeID, "Bolt", "0.5")
	e.addProduct(t, otherStore, "Elsewhere", "1")
	product := func(id, name, price string) string {
		return `{"id":"` + id + `","storeId":"` + storeID + `","name":"` + name + `","description":"d","sku":"s","price":` + price + `}`
	}

	cases := []struct {
		name, path string
		status     int
		want       string
	}{
		{"catalog by name, prices as decimals", "/api/stores/" + storeID + "/products", 200,
			`{"products":[` + product(bolt, "Bolt", "0.50") + `,` + product(widget, "Widget", "9.99") + `]}`},
		{"empty catalog", "/api/stores/" + emptyStore + "/products", 200, `{"products":[]}`},
		{"catalog of an unknown store", "/api/stores/" + missingID + "/products", 404, ""},
		{"catalog of a bad store UUID", "/api/stores/waldo/products", 400, ""},
		{"product", "/api/stores/products/" + widget, 200, `{"product":` + product(widget, "Widget", "9.99") + `}`},
		{"unknown product", "/api/stores/products/" + missingID, 404, ""},
		{"bad product UUID", "/api/stores/products/widget", 400, ""},
		{"products/products is a bad product UUID", "/api/stores/products/products", 400, ""},
		{"neither catalog nor product", "/api/stores/x/y", 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := testkit.Request(t, e.api, "GET", tc.path, "")
			if tc.status != 200 {
				testkit.AssertProblem(t, r, tc.status, "")
				return
			}
			testkit.AssertJSON(t, r, 200, tc.want)
		})
	}

	t.Run("price is a JSON number", func(t *testing.T) {
		t.Parallel()
		r := testkit.Request(t, e.api, "GET", "/api/stores/products/"+widget, "")
		if !strings.Contains(r.Body.String(), `"price":9.99`) {
			t.Errorf("body %s does not hold \"price\":9.99", r.Body)
		}
	})
}

func TestProductCommands(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		steps []step // "{id}" is the product's ID
		// wantEvents lists what the steps publish after the ProductAdded.
		wantEvents func(pid, sid string) []events.Event
		// wantPrice is the stored price afterwards; 0 means the product is gone.
		wantPrice int64
	}{
		{name: "rebrand",
			steps: []step{{"PUT", "/api/stores/products/{id}/rebrand", `{"name":"Gadget","description":"Shiny"}`, 200}},
			wantEvents: func(pid, sid string) []events.Event {
				return []events.Event{events.ProductRebranded{ProductID: pid, StoreID: sid, Name: "Gadget", Description: "Shiny", Version: 2}}
			},
			wantPrice: 999},
		{name: "rebrand to a blank name",
			steps:     []step{{"PUT", "/api/stores/products/{id}/rebrand", `{"name":"","description":"Shiny"}`, 422}},
			wantPrice: 999},
		{name: "rebrand an unknown product",
			steps:     []step{{"PUT", "/api/stores/products/" + missingID + "/rebrand", `{"name":"G"}`, 404}},
			wantPrice: 999},
		{name: "increase price",
			steps: []step{{"PUT", "/api/stores/products/{id}/increasePrice", `{"price":1.50}`, 200}},
			wantEvents: func(pid, sid string) []events.Event {
				return []events.Event{events.ProductPriceIncreased{ProductID: pid, StoreID: sid, Delta: 150, Price: 1149, Version: 2}}
			},
			wantPrice: 1149},
		{name: "increase by zero",
			steps:     []step{{"PUT", "/api/stores/products/{id}/increasePrice", `{"price":0}`, 422}},
			wantPrice: 999},
		{name: "increase by three decimals",
			steps:     []step{{"PUT", "/api/stores/products/{id}/increasePrice", `{"price":0.001}`, 422}},
			wantPrice: 999},
		{name: "increase with malformed JSON",
			steps:     []step{{"PUT", "/api/stores/products/{id}/increasePrice", `{"price":}`, 400}},
			wantPrice: 999},
		{name: "increase an unknown product",
			steps:     []step{{"PUT", "/api/stores/products/" + missingID + "/increasePrice", `{"price":1}`, 404}},
			wantPrice: 999},
		{name: "increase a bad UUID",
			steps:     []step{{"PUT", "/api/stores/products/widget/increasePrice", `{"price":1}`, 400}},
			wantPrice: 999},
		{name: "decrease price",
			steps: []step{{"PUT", "/api/stores/products/{id}/decreasePrice", `{"price":1.00}`, 200}},
			wantEvents: func(pid, sid string) []events.Event {
				return []events.Event{events.ProductPriceDecreased{ProductID: pid, StoreID: sid, Delta: 100, Price: 899, Version: 2}}
			},
			wantPrice: 899},
		{name: "decrease to zero",
			steps:     []step{{"PUT", "/api/stores/products/{id}/decreasePrice", `{"price":9.99}`, 422}},
			wantPrice: 999},
		{name: "increase then decrease",
			steps: []step{
				{"PUT", "/api/stores/products/{id}/increasePrice", `{"price":0.01}`, 200},
				{"PUT", "/api/stores/products/{id}/decreasePrice", `{"price":5}`, 200},
			},
			wantEvents: func(pid, sid string) []events.Event {
				return []events.Event{
					events.ProductPriceIncreased{ProductID: pid, StoreID: sid, Delta: 1, Price: 1000, Version: 2},
					events.ProductPriceDecreased{ProductID: pid, StoreID: sid, Delta: 500, Price: 500, Version: 3},
				}
			},
			wantPrice: 500},
		{name: "remove",
			steps: []step{
				{"DELETE", "/api/stores/products/{id}", "", 200},
				{"GET", "/api/stores/products/{id}", "", 404},
				{"DELETE", "/api/stores/products/{id}", "", 404},
			},
			wantEvents: func(pid, sid string) []events.Event {
				return []events.Event{events.ProductRemoved{ProductID: pid, StoreID: sid, Version: 2}}
			},
			wantPrice: 0},
		{name: "remove a bad UUID",
			steps:     []step{{"DELETE", "/api/stores/products/products", "", 400}},
			wantPrice: 999},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			sid := e.createStore(t, "Waldo", "L2")
			pid := e.addProduct(t, sid, "Widget", "9.99")
			for _, s := range tc.steps {
				testkit.AssertCommand(t, testkit.Request(t, e.api, s.method, strings.ReplaceAll(s.path, "{id}", pid), s.body), s.status, "")
			}
			var want []events.Event
			if tc.wantEvents != nil {
				want = tc.wantEvents(pid, sid)
			}
			assertEvents(t, e.repo.published()[2:], want)
			p := e.repo.product(pid)
			switch {
			case tc.wantPrice == 0 && p != nil:
				t.Errorf("product still stored: %+v", p)
			case tc.wantPrice != 0 && p == nil:
				t.Errorf("product gone, want price %d", tc.wantPrice)
			case p != nil && (p.Price() != tc.wantPrice || p.Version() != int64(1+len(want))):
				t.Errorf("stored price %d version %d, want %d version %d", p.Price(), p.Version(), tc.wantPrice, 1+len(want))
			}
		})
	}
}

func TestRoutingProblems(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name, method, path string
		status             int
		allow              []string // methods the Allow header of a 405 must list
	}{
		{"unknown route", "GET", "/api/nothing", 404, nil},
		{"too deep under stores", "GET", "/api/stores/a/b/c/d", 404, nil},
		{"delete neither participation nor product", "DELETE", "/api/stores/x/y", 404, nil},
		{"wrong method on the collection", "PATCH", "/api/stores", 405, []string{"GET", "POST"}},
		{"wrong method on a store", "POST", "/api/stores/" + missingID, 405, []string{"GET"}},
		{"wrong method on a product command", "POST", "/api/stores/products/" + missingID + "/rebrand", 405, []string{"PUT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := testkit.Request(t, e.api, tc.method, tc.path, "")
			testkit.AssertProblem(t, r, tc.status, "")
			allow := r.Header().Get("Allow")
			for _, m := range tc.allow {
				if !strings.Contains(allow, m) {
					t.Errorf("Allow %q does not list %s", allow, m)
				}
			}
		})
	}
}
