package baskets_test

import (
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mallbots/mallbots/handlers/baskets"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// newAPI returns the baskets routes behind the production mux wrapper.
func newAPI(t *testing.T) (http.Handler, *fakeRepo) {
	t.Helper()
	repo := newFakeRepo()
	mux := httpapi.NewMux()
	cat := newCatalog()
	baskets.New(repo, cat, cat, sequentialIDs()).Routes(mux)
	return mux, repo
}

func TestHTTPBasketLifecycle(t *testing.T) {
	api, repo := newAPI(t)
	path := "/api/baskets/" + firstID
	syrupJSON := func(quantity string) string {
		return `{"storeId":"` + wafflesID + `","storeName":"Waffles","productId":"` + syrupID + `","productName":"Syrup","price":4.99,"quantity":` + quantity + `}`
	}
	creamJSON := `{"storeId":"` + wafflesID + `","storeName":"Waffles","productId":"` + creamID + `","productName":"Cream","price":2.50,"quantity":1}`

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/baskets", `{"customerId":"`+adaID+`"}`), http.StatusCreated, `{"id":"`+firstID+`"}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, path, ""), http.StatusOK,
		`{"basket":{"id":"`+firstID+`","customerId":"`+adaID+`","status":"open","items":[],"total":0.00}}`)

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/addItem", `{"productId":"`+syrupID+`","quantity":3}`), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/addItem", `{"productId":"`+creamID+`","quantity":1}`), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/removeItem", `{"productId":"`+syrupID+`","quantity":1}`), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, path, ""), http.StatusOK,
		`{"basket":{"id":"`+firstID+`","customerId":"`+adaID+`","status":"open","items":[`+syrupJSON("2")+`,`+creamJSON+`],"total":12.48}}`)

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path+"/checkout", `{"paymentId":"`+paymentID+`"}`), http.StatusOK, `{}`)
	rec := testkit.Request(t, api, http.MethodGet, "/api/baskets/"+strings.ToUpper(firstID), "")
	testkit.AssertJSON(t, rec, http.StatusOK,
		`{"basket":{"id":"`+firstID+`","customerId":"`+adaID+`","paymentId":"`+paymentID+`","status":"checked_out","items":[`+syrupJSON("2")+`,`+creamJSON+`],"total":12.48}}`)
	if !strings.Contains(rec.Body.String(), `"total":12.48`) || !strings.Contains(rec.Body.String(), `"price":2.50`) {
		t.Errorf("money is not a decimal number with two places: %s", rec.Body)
	}
	if n := len(repo.published()); n != 5 {
		t.Errorf("published %d events, want 5 (started, 2 added, removed, checked out)", n)
	}
}

func TestHTTPCancelBasket(t *testing.T) {
	api, repo := newAPI(t)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/baskets", `{"customerId":"`+adaID+`"}`), http.StatusCreated, `{"id":"`+firstID+`"}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodDelete, "/api/baskets/"+firstID, ""), http.StatusOK, `{}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/baskets/"+firstID, ""), http.StatusOK,
		`{"basket":{"id":"`+firstID+`","customerId":"`+adaID+`","status":"canceled","items":[],"total":0.00}}`)
	testkit.AssertProblem(t, testkit.Request(t, api, http.MethodDelete, "/api/baskets/"+firstID, ""), http.StatusConflict, "basket "+firstID+" is canceled")
	if n := len(repo.published()); n != 2 {
		t.Errorf("published %d events, want 2 (started, canceled)", n)
	}
}

func TestHTTPErrors(t *testing.T) {
	base := "/api/baskets/" + firstID
	missing := "/api/baskets/" + missingBasket
	item := func(productID string, quantity string) string {
		return `{"productId":"` + productID + `","quantity":` + quantity + `}`
	}
	tests := []struct {
		name         string
		before       []string // "METHOD path body" requests that must succeed first
		method, path string
		body         string
		status       int
		detail       string
	}{
		{name: "start for an unknown customer", method: http.MethodPost, path: "/api/baskets", body: `{"customerId":"` + strangerID + `"}`,
			status: 422, detail: "customer " + strangerID + " is not known to baskets"},
		{name: "start for a disabled customer", method: http.MethodPost, path: "/api/baskets", body: `{"customerId":"` + bobID + `"}`,
			status: 422, detail: "customer " + bobID + " is disabled"},
		{name: "start with a customer id that is not a UUID", method: http.MethodPost, path: "/api/baskets", body: `{"customerId":"ada"}`,
			status: 422, detail: `customerId must be a UUID, got "ada"`},
		{name: "start without a customer", method: http.MethodPost, path: "/api/baskets", body: `{}`,
			status: 422, detail: "customerId must be a UUID"},
		{name: "start with an unknown field", method: http.MethodPost, path: "/api/baskets", body: `{"customerId":"` + adaID + `","kiosk":1}`,
			status: 400, detail: `unknown field "kiosk"`},
		{name: "start with malformed JSON", method: http.MethodPost, path: "/api/baskets", body: `{"customerId":`,
			status: 400, detail: "malformed JSON"},
		{name: "add an unknown product", method: http.MethodPut, path: base + "/addItem", body: item(strangerID, "1"),
			status: 422, detail: "product " + strangerID + " is not on sale"},
		{name: "add a product whose store is not known yet", method: http.MethodPut, path: base + "/addItem", body: item(orphanID, "1"),
			status: 422, detail: "of product " + orphanID + " is not known to baskets yet"},
		{name: "add zero units", method: http.MethodPut, path: base + "/addItem", body: item(syrupID, "0"),
			status: 422, detail: "quantity must be at least 1: got 0"},
		{name: "add without a quantity", method: http.MethodPut, path: base + "/addItem", body: `{"productId":"` + syrupID + `"}`,
			status: 422, detail: "quantity must be at least 1"},
		{name: "add a fractional quantity", method: http.MethodPut, path: base + "/addItem", body: item(syrupID, "1.5"),
			status: 400, detail: "quantity"},
		{name: "add too many units", method: http.MethodPut, path: base + "/addItem", body: item(syrupID, "1001"),
			status: 422, detail: "a basket line holds at most 1000 units"},
		{name: "add to an unknown basket", method: http.MethodPut, path: missing + "/addItem", body: item(syrupID, "1"),
			status: 404, detail: "basket " + missingBasket},
		{name: "add to a checked-out basket", before: []string{"PUT " + base + "/addItem " + item(syrupID, "1"), "PUT " + base + `/checkout {"paymentId":"` + paymentID + `"}`},
			method: http.MethodPut, path: base + "/addItem", body: item(syrupID, "1"),
			status: 409, detail: "basket " + firstID + " is checked_out"},
		{name: "add to a basket with a bad UUID", method: http.MethodPut, path: "/api/baskets/b1/addItem", body: item(syrupID, "1"),
			status: 400, detail: "path parameter id must be a UUID"},
		{name: "remove more than present", before: []string{"PUT " + base + "/addItem " + item(syrupID, "2")},
			method: http.MethodPut, path: base + "/removeItem", body: item(syrupID, "3"),
			status: 422, detail: "removing 3 of product " + syrupID + ", basket " + firstID + " holds 2"},
		{name: "remove a product not in the basket", method: http.MethodPut, path: base + "/removeItem", body: item(creamID, "1"),
			status: 422, detail: "product " + creamID + " is not in basket " + firstID},
		{name: "remove from a canceled basket", before: []string{"DELETE " + base + " "},
			method: http.MethodPut, path: base + "/removeItem", body: item(syrupID, "1"),
			status: 409, detail: "is canceled"},
		{name: "check out an empty basket", method: http.MethodPut, path: base + "/checkout", body: `{"paymentId":"` + paymentID + `"}`,
			status: 422, detail: "basket is empty"},
		{name: "check out with a payment id that is not a UUID", method: http.MethodPut, path: base + "/checkout", body: `{"paymentId":"cash"}`,
			status: 422, detail: `paymentId must be a UUID, got "cash"`},
		{name: "check out an unknown basket", method: http.MethodPut, path: missing + "/checkout", body: `{"paymentId":"` + paymentID + `"}`,
			status: 404, detail: "basket " + missingBasket},
		{name: "cancel an unknown basket", method: http.MethodDelete, path: missing,
			status: 404, detail: "basket " + missingBasket},
		{name: "get an unknown basket", method: http.MethodGet, path: missing,
			status: 404, detail: "basket " + missingBasket},
		{name: "get a basket with a bad UUID", method: http.MethodGet, path: "/api/baskets/b1",
			status: 400, detail: "path parameter id must be a UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, repo := newAPI(t)
			testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/baskets", `{"customerId":"`+adaID+`"}`), http.StatusCreated, `{"id":"`+firstID+`"}`)
			for _, req := range tt.before {
				parts := strings.SplitN(req, " ", 3)
				testkit.AssertJSON(t, testkit.Request(t, api, parts[0], parts[1], parts[2]), http.StatusOK, `{}`)
			}
			before := len(repo.published())

			testkit.AssertProblem(t, testkit.Request(t, api, tt.method, tt.path, tt.body), tt.status, tt.detail)
			if extra := repo.published()[before:]; len(extra) != 0 {
				t.Errorf("failed request published %#v", extra)
			}
		})
	}
}

func TestOpenAPIFragmentMatchesTheRoutes(t *testing.T) {
	raw, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]yaml.Node `yaml:"paths"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var got []string
	for path, ops := range doc.Paths {
		for method, node := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				OperationID string   `yaml:"operationId"`
				Tags        []string `yaml:"tags"`
			}
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			got = append(got, strings.ToUpper(method)+" "+path)
			if op.OperationID == "" || !slices.Equal(op.Tags, []string{"baskets"}) {
				t.Errorf("%s %s: operationId %q tags %v", method, path, op.OperationID, op.Tags)
			}
		}
	}
	slices.Sort(got)
	want := []string{
		"DELETE /api/baskets/{id}", "GET /api/baskets/{id}", "POST /api/baskets",
		"PUT /api/baskets/{id}/addItem", "PUT /api/baskets/{id}/checkout", "PUT /api/baskets/{id}/removeItem",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("documented operations = %v, want %v", got, want)
	}
	// Every documented operation is served: no "no route" 404 or 405.
	api, _ := newAPI(t)
	for _, op := range got {
		method, path, _ := strings.Cut(op, " ")
		rec := testkit.Request(t, api, method, strings.ReplaceAll(path, "{id}", missingBasket), "")
		if rec.Code == http.StatusMethodNotAllowed || strings.Contains(rec.Body.String(), "no route") {
			t.Errorf("%s is documented but not served: %d %s", op, rec.Code, rec.Body)
		}
	}
}
