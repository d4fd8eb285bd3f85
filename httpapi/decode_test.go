package httpapi_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/httpapi"
)

type lineItem struct {
	ProductID string        `json:"productId"`
	Quantity  int           `json:"quantity"`
	Price     httpapi.Money `json:"price"`
}

type Audit struct {
	Note    string        `json:"note"`
	Deposit httpapi.Money `json:"deposit"`
}

type addProductRequest struct {
	Name    string                   `json:"name"`
	Price   httpapi.Money            `json:"price"`
	Count   uint                     `json:"count"`
	Active  bool                     `json:"active"`
	Items   []lineItem               `json:"items"`
	Prices  map[string]httpapi.Money `json:"prices"`
	Weight  float64                  `json:"weight"`
	Skipped httpapi.Money            `json:"-"`
	Extra   any                      `json:"extra"`
	Raw     json.RawMessage          `json:"raw"`
	Audit
}

type renameRequest struct {
	Name string `json:"name"`
}

func (r renameRequest) Validate() error {
	if strings.TrimSpace(r.Name) == "" {
		return fmt.Errorf("%w: name must not be blank", domain.ErrInvalid)
	}
	return nil
}

// decode runs Decode on a request with body and content type and, like a
// handler, writes its error with WriteError.
func decode(t *testing.T, body, contentType string, dst any) (*httptest.ResponseRecorder, error) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/api/stores", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	err := httpapi.Decode(w, r, dst)
	if err != nil {
		httpapi.WriteError(w, r, err)
	}
	return w, err
}

func TestDecodeSuccess(t *testing.T) {
	body := `{"name":"Bot Shop","price":9.99,"count":3,"active":true,"weight":0.125,
		"items":[{"productId":"p1","quantity":2,"price":0.29}],"prices":{"eu":1.1},"note":"hi","deposit":5}`
	for _, ct := range []string{"", "application/json", "application/json; charset=utf-8", "Application/JSON"} {
		t.Run(ct, func(t *testing.T) {
			var req addProductRequest
			if _, err := decode(t, body+"\n\t ", ct, &req); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if req.Name != "Bot Shop" || req.Price != 999 || req.Count != 3 || !req.Active ||
				len(req.Items) != 1 || req.Items[0].Price != 29 || req.Prices["eu"] != 110 ||
				req.Note != "hi" || req.Deposit != 500 {
				t.Fatalf("decoded %+v", req)
			}
		})
	}
}

func TestDecodeFailures(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		status      int
		detail      string // exact, unless prefix is set
		prefix      bool
		field       string // the one FieldError expected, if any
	}{
		{name: "empty", body: "", status: 400, detail: "request body must not be empty"},
		{name: "whitespace only", body: " \n\t", status: 400, detail: "request body must not be empty"},
		{name: "malformed", body: `{"name": }`, status: 400, prefix: true,
			detail: "request body contains malformed JSON at byte offset 10: invalid character '}'"},
		{name: "truncated", body: `{"name": "x"`, status: 400,
			detail: "request body contains malformed JSON: it ends in the middle of a value"},
		{name: "wrong type string", body: `{"name": 5}`, status: 400,
			detail: `field "name" must be a string, got number`, field: "name"},
		{name: "wrong type bool", body: `{"active": "yes"}`, status: 400,
			detail: `field "active" must be a boolean, got string`, field: "active"},
		{name: "negative into uint", body: `{"count": -1}`, status: 400,
			detail: `field "count" must be a non-negative integer, got number -1`, field: "count"},
		{name: "nested wrong type", body: `{"items": [{"quantity": "two"}]}`, status: 400,
			detail: `field "items.quantity" must be an integer, got string`, field: "items.quantity"},
		{name: "array for object", body: `{"items": {}}`, status: 400,
			detail: `field "items" must be an array, got object`, field: "items"},
		{name: "money as string", body: `{"price": "9.99"}`, status: 400,
			detail: `field "price" must be a decimal number such as 9.99, got string`, field: "price"},
		{name: "not an object", body: `[1, 2]`, status: 400,
			detail: "request body must be an object, got array"},
		{name: "unknown field", body: `{"nmae": "x"}`, status: 400, detail: `unknown field "nmae"`},
		{name: "ignored field is unknown too", body: `{"Skipped": 1}`, status: 400, detail: `unknown field "Skipped"`},
		{name: "second value", body: `{"name": "x"} {"name": "y"}`, status: 400,
			detail: "request body must hold a single JSON value; found more data after byte offset 13"},
		{name: "trailing garbage", body: `{"name": "x"}}`, status: 400,
			detail: "request body must hold a single JSON value; found more data after byte offset 13"},
		{name: "too large", body: `{"name": "` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`, status: 413,
			detail: "request body must not exceed 1 MiB"},
		{name: "text/plain", body: `{}`, contentType: "text/plain", status: 415,
			detail: `Content-Type must be application/json, got "text/plain"`},
		{name: "form", body: `name=x`, contentType: "application/x-www-form-urlencoded", status: 415,
			detail: `Content-Type must be application/json, got "application/x-www-form-urlencoded"`},
		{name: "unparsable content type", body: `{}`, contentType: "application/json; ;", status: 415,
			detail: `Content-Type must be application/json, got "application/json; ;"`},
		{name: "money three decimals", body: `{"name": "x", "price": 9.999}`, status: 422,
			detail: `field "price": amount 9.999 has more than two decimal places`, field: "price"},
		{name: "money key in other case", body: `{"PRICE": 9.999}`, status: 422,
			detail: `field "price": amount 9.999 has more than two decimal places`, field: "price"},
		{name: "money too large", body: `{"price": 1e20}`, status: 422,
			detail: `field "price": amount 1e20 exceeds the limit of 100000000000.00 in magnitude`, field: "price"},
		{name: "fraction into int", body: `{"items": [{"price": 1}, {"quantity": 0.5e1}]}`, status: 400, detail: `field "items.quantity" must be an integer, got number 0.5e1`, field: "items.quantity"},
		{name: "money in second item", body: `{"weight": 0.125, "items": [{"price": 1.5}, {"price": 0.125}]}`, status: 422,
			detail: `field "items[1].price": amount 0.125 has more than two decimal places`, field: "items[1].price"},
		{name: "money in map", body: `{"prices": {"eu": 1.00, "us": 2.001}}`, status: 422,
			detail: `field "prices.us": amount 2.001 has more than two decimal places`, field: "prices.us"},
		{name: "money after values it must skip", body: `{"extra": {"a": [1, {"price": 2.001}]}, "raw": [0.001], "price": 0.001}`,
			status: 422, detail: `field "price": amount 0.001 has more than two decimal places`, field: "price"},
		{name: "money in embedded struct", body: `{"deposit": 0.001}`, status: 422,
			detail: `field "deposit": amount 0.001 has more than two decimal places`, field: "deposit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req addProductRequest
			w, err := decode(t, tt.body, tt.contentType, &req)
			var p *httpapi.Problem
			if !errors.As(err, &p) {
				t.Fatalf("Decode error = %v, want a *Problem", err)
			}
			got := readProblem(t, w, tt.status)
			if tt.prefix && !strings.HasPrefix(got.Detail, tt.detail) || !tt.prefix && got.Detail != tt.detail {
				t.Errorf("detail = %q, want %q", got.Detail, tt.detail)
			}
			if tt.field == "" {
				if len(got.Errors) != 0 {
					t.Errorf("errors = %+v, want none", got.Errors)
				}
			} else if len(got.Errors) != 1 || got.Errors[0].Field != tt.field || got.Errors[0].Detail == "" {
				t.Errorf("errors = %+v, want one for field %q", got.Errors, tt.field)
			}
		})
	}
}

func TestDecodeCallsValidate(t *testing.T) {
	var req renameRequest
	w, err := decode(t, `{"name": "  "}`, "application/json", &req)
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("err = %v, want the Validate error (domain.ErrInvalid)", err)
	}
	p := readProblem(t, w, http.StatusUnprocessableEntity)
	if p.Detail != "invalid: name must not be blank" {
		t.Fatalf("detail = %q", p.Detail)
	}

	if _, err := decode(t, `{"name": "Bot Shop"}`, "", &req); err != nil || req.Name != "Bot Shop" {
		t.Fatalf("valid request: %v, %+v", err, req)
	}
}

func TestDecodeIntoNonPointerIsAServerError(t *testing.T) {
	captureLog(t)
	w, err := decode(t, `{"name": "x"}`, "", renameRequest{})
	var p *httpapi.Problem
	if err == nil || errors.As(err, &p) {
		t.Fatalf("err = %v, want a plain error", err)
	}
	readProblem(t, w, http.StatusInternalServerError)
}

// TestDecodeTextRule: every string anywhere in a body is valid UTF-8 without
// control characters (tab, line feed and carriage return aside) and at most
// MaxTextLen characters; the problem names the field.
func TestDecodeTextRule(t *testing.T) {
	long := strings.Repeat("é", httpapi.MaxTextLen)
	tests := []struct {
		name, body string
		status     int
		field      string
	}{
		{"NUL in a field", `{"name":"ab\u0000cd"}`, 422, "name"},
		{"escape character", `{"name":"a\u001bb"}`, 422, "name"},
		{"DEL", `{"name":"a\u007f"}`, 422, "name"},
		{"C1 control", `{"name":"a\u0085"}`, 422, "name"},
		{"NUL in a nested array", `{"name":"x","items":[{"productId":"p"},{"productId":"\u0000"}]}`, 422, "items[1].productId"},
		{"NUL in an embedded struct's field", `{"name":"x","note":"\u0000"}`, 422, "note"},
		{"NUL in a map key", `{"name":"x","prices":{"a\u0000":1}}`, 422, "prices.(key)"},
		{"NUL in any", `{"name":"x","extra":{"k":["ok","\u0000"]}}`, 422, "extra.k[1]"},
		{"too long", `{"name":"` + long + `e"}`, 422, "name"},
		{"raw invalid UTF-8", "{\"name\":\"ab\xff\xfecd\"}", 400, ""},
		{"raw NUL byte", "{\"name\":\"ab\x00cd\"}", 400, ""}, // JSON forbids raw control characters
		{"longest allowed", `{"name":"` + long + `"}`, 0, ""},
		{"tab, newlines, emoji and a lone surrogate escape", `{"name":"a\tb\r\nc 🤖 \ud800"}`, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req addProductRequest
			w, err := decode(t, tt.body, "application/json", &req)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			p := readProblem(t, w, tt.status)
			if tt.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.field || !strings.Contains(p.Detail, tt.field)) {
				t.Errorf("problem %+v, want it to name field %s", p, tt.field)
			}
		})
	}
}
