package payments_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/events"
	"github.com/mallbots/mallbots/handlers/payments"
	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// newAPI returns the payments routes behind the production mux wrapper.
func newAPI(t *testing.T) (http.Handler, *fakeRepo) {
	t.Helper()
	repo := newFakeRepo()
	mux := httpapi.NewMux()
	payments.New(repo, repo, sequentialIDs()).Routes(mux)
	return mux, repo
}

func TestHTTPAuthorizeAndGetPayment(t *testing.T) {
	api, repo := newAPI(t)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPost, "/api/payments", `{"customerId": "`+customerID+`", "amount": 10.5}`),
		http.StatusCreated, `{"id": "`+firstID+`"}`)
	assertEvents(t, repo.published(), events.PaymentAuthorized{PaymentID: firstID, CustomerID: customerID, Amount: 1050})

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/payments/"+firstID, ""), http.StatusOK,
		`{"payment": {"id": "`+firstID+`", "customerId": "`+customerID+`", "amount": 10.50, "status": "authorized"}}`)

	repo.put(paymentIn(payment.StatusConfirmed, orderID))
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/payments/"+paymentID, ""), http.StatusOK,
		`{"payment": {"id": "`+paymentID+`", "customerId": "`+customerID+`", "amount": 10.00, "status": "confirmed", "orderId": "`+orderID+`"}}`)
}

func TestHTTPInvoices(t *testing.T) {
	api, repo := newAPI(t)
	repo.put(nil, invoiceIn(invoiceID, orderID, payment.InvoicePending), invoiceIn(otherInv, otherOrder, payment.InvoiceCanceled))
	invoice := `{"id": "` + invoiceID + `", "orderId": "` + orderID + `", "paymentId": "` + paymentID + `", "amount": 10.00, "status": "pending"}`

	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/payments/invoices/"+invoiceID, ""), http.StatusOK, `{"invoice": `+invoice+`}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/payments/invoices?orderId="+orderID, ""), http.StatusOK, `{"invoices": [`+invoice+`]}`)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodGet, "/api/payments/invoices?orderId="+unknownID, ""), http.StatusOK, `{"invoices": []}`)
}

func TestHTTPPayInvoice(t *testing.T) {
	tests := []struct {
		name, body string
	}{
		{"no body", ""},
		{"whitespace body", " \n"},
		{"empty object", "{}"},
		{"null amount", `{"amount": null}`},
		{"matching amount", `{"amount": 10.00}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, repo := newAPI(t)
			repo.put(nil, invoiceIn(invoiceID, orderID, payment.InvoicePending))
			path := "/api/payments/invoices/" + invoiceID + "/pay"

			testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, path, tt.body), http.StatusOK, `{}`)
			assertEvents(t, repo.published(), events.InvoicePaid{InvoiceID: invoiceID, OrderID: orderID, Amount: 1000})
			testkit.AssertProblem(t, testkit.Request(t, api, http.MethodPut, path, tt.body), http.StatusConflict, "invoice is already paid")
			if n := len(repo.published()); n != 1 {
				t.Errorf("published %d events, want 1", n)
			}
		})
	}
}

func TestHTTPPayInvoiceWithALargeBodyStillDecodesIt(t *testing.T) {
	api, repo := newAPI(t)
	repo.put(nil, invoiceIn(invoiceID, orderID, payment.InvoicePending))
	body := `{"amount": 10.00}` + strings.Repeat(" ", 2000)
	testkit.AssertJSON(t, testkit.Request(t, api, http.MethodPut, "/api/payments/invoices/"+invoiceID+"/pay", body), http.StatusOK, `{}`)

	body = strings.Repeat(" ", 1000) + `{"amount": 9.00}`
	repo.put(nil, invoiceIn(otherInv, otherOrder, payment.InvoicePending))
	testkit.AssertProblem(t, testkit.Request(t, api, http.MethodPut, "/api/payments/invoices/"+otherInv+"/pay", body), http.StatusConflict,
		"amount mismatch: paid 9.00, invoice "+otherInv+" is for 10.00")
}

func TestHTTPErrors(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		detail       string
	}{
		{"zero amount", http.MethodPost, "/api/payments", `{"customerId": "` + customerID + `", "amount": 0}`,
			http.StatusUnprocessableEntity, "amount must be greater than zero"},
		{"negative amount", http.MethodPost, "/api/payments", `{"customerId": "` + customerID + `", "amount": -5}`,
			http.StatusUnprocessableEntity, "amount must be greater than zero: payment amount -5.00"},
		{"missing amount", http.MethodPost, "/api/payments", `{"customerId": "` + customerID + `"}`,
			http.StatusUnprocessableEntity, "amount must be greater than zero"},
		{"three decimals", http.MethodPost, "/api/payments", `{"customerId": "` + customerID + `", "amount": 1.234}`,
			http.StatusUnprocessableEntity, `field "amount": amount 1.234 has more than two decimal places`},
		{"amount as string", http.MethodPost, "/api/payments", `{"customerId": "` + customerID + `", "amount": "10"}`,
			http.StatusBadRequest, `field "amount" must be a decimal number`},
		{"malformed customer", http.MethodPost, "/api/payments", `{"customerId": "ada", "amount": 10}`,
			http.StatusUnprocessableEntity, `customer id "ada" must be a UUID`},
		{"unknown field", http.MethodPost, "/api/payments", `{"customerId": "` + customerID + `", "amount": 10, "currency": "EUR"}`,
			http.StatusBadRequest, `unknown field "currency"`},
		{"malformed JSON", http.MethodPost, "/api/payments", `{"amount": `, http.StatusBadRequest, "malformed JSON"},
		{"get unknown payment", http.MethodGet, "/api/payments/" + unknownID, "", http.StatusNotFound, "payment " + unknownID},
		{"get malformed payment id", http.MethodGet, "/api/payments/42", "", http.StatusBadRequest, "path parameter id must be a UUID"},
		{"get unknown invoice", http.MethodGet, "/api/payments/invoices/" + unknownID, "", http.StatusNotFound, "invoice " + unknownID},
		{"get malformed invoice id", http.MethodGet, "/api/payments/invoices/x", "", http.StatusBadRequest, "path parameter id must be a UUID"},
		{"list without orderId", http.MethodGet, "/api/payments/invoices", "", http.StatusBadRequest, "query parameter orderId is required"},
		{"list with malformed orderId", http.MethodGet, "/api/payments/invoices?orderId=7", "", http.StatusBadRequest,
			"query parameter orderId must be a UUID"},
		{"pay unknown invoice", http.MethodPut, "/api/payments/invoices/" + unknownID + "/pay", "", http.StatusNotFound, "invoice " + unknownID},
		{"pay malformed invoice id", http.MethodPut, "/api/payments/invoices/x/pay", "", http.StatusBadRequest, "path parameter id must be a UUID"},
		{"pay other amount", http.MethodPut, "/api/payments/invoices/" + invoiceID + "/pay", `{"amount": 12}`,
			http.StatusConflict, "amount mismatch: paid 12.00, invoice " + invoiceID + " is for 10.00"},
		{"pay with unknown field", http.MethodPut, "/api/payments/invoices/" + invoiceID + "/pay", `{"total": 10}`,
			http.StatusBadRequest, `unknown field "total"`},
		{"pay with bad money", http.MethodPut, "/api/payments/invoices/" + invoiceID + "/pay", `{"amount": 10.001}`,
			http.StatusUnprocessableEntity, "more than two decimal places"},
		{"pay a canceled invoice", http.MethodPut, "/api/payments/invoices/" + otherInv + "/pay", "",
			http.StatusConflict, "invoice is canceled"},
		{"pay with the wrong verb", http.MethodPost, "/api/payments/invoices/" + invoiceID + "/pay", "",
			http.StatusMethodNotAllowed, "method POST is not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, repo := newAPI(t)
			repo.put(nil, invoiceIn(invoiceID, orderID, payment.InvoicePending), invoiceIn(otherInv, otherOrder, payment.InvoiceCanceled))

			testkit.AssertProblem(t, testkit.Request(t, api, tt.method, tt.path, tt.body), tt.status, tt.detail)
			assertEvents(t, repo.published())
			if inv := repo.invoice(invoiceID); inv.Status() != payment.InvoicePending {
				t.Errorf("failed request left the invoice %s", inv.Status())
			}
		})
	}
}

func TestHTTPPaymentsAndInvoicesRoutesDoNotShadowEachOther(t *testing.T) {
	api, repo := newAPI(t)
	repo.put(paymentIn(payment.StatusAuthorized, ""), invoiceIn(invoiceID, orderID, payment.InvoicePending))
	// A payment and an invoice share no ID space, so each route must answer
	// with its own entity or a 404, never the other's.
	for _, tc := range []struct {
		path   string
		status int
		key    string
	}{
		{"/api/payments/" + paymentID, http.StatusOK, "payment"},
		{"/api/payments/" + invoiceID, http.StatusNotFound, ""},
		{"/api/payments/invoices/" + invoiceID, http.StatusOK, "invoice"},
		{"/api/payments/invoices/" + paymentID, http.StatusNotFound, ""},
		{"/api/payments/invoices?orderId=" + orderID, http.StatusOK, "invoices"},
		{"/api/payments/invoices/", http.StatusNotFound, ""},
	} {
		rec := testkit.Request(t, api, http.MethodGet, tc.path, "")
		if rec.Code != tc.status {
			t.Errorf("GET %s = %d %s, want %d", tc.path, rec.Code, rec.Body, tc.status)
			continue
		}
		if tc.key == "" {
			continue
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body) != 1 || body[tc.key] == nil {
			t.Errorf("GET %s body = %s, want {%q: …}", tc.path, rec.Body, tc.key)
		}
	}
}
