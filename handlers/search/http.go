package search

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mallbots/mallbots/domain"
	"github.com/mallbots/mallbots/domain/ordersearch"
	"github.com/mallbots/mallbots/domain/orderstatus"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the search API (the book's routes) on mux.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("POST /api/search/orders", h.handleSearchOrders)
	mux.HandleFunc("GET /api/search/orders/{id}", httpapi.Get("order", h.handleGetOrder))
}

type orderJSON struct {
	OrderID      string        `json:"orderId"`
	CustomerID   string        `json:"customerId"`
	CustomerName string        `json:"customerName"`
	Items        []itemJSON    `json:"items"`
	Total        httpapi.Money `json:"total"`
	Status       string        `json:"status"`
	Reason       string        `json:"reason,omitempty"`
	CreatedAt    time.Time     `json:"createdAt"`
	UpdatedAt    time.Time     `json:"updatedAt"`
}

type itemJSON struct {
	StoreID     string        `json:"storeId"`
	StoreName   string        `json:"storeName"`
	ProductID   string        `json:"productId"`
	ProductName string        `json:"productName"`
	Price       httpapi.Money `json:"price"`
	Quantity    int           `json:"quantity"`
}

func toOrderJSON(o ordersearch.Order) orderJSON {
	items := make([]itemJSON, len(o.Items))
	for i, it := range o.Items {
		items[i] = itemJSON{StoreID: it.StoreID, StoreName: it.StoreName, ProductID: it.ProductID,
			ProductName: it.ProductName, Price: httpapi.Money(it.Price), Quantity: it.Quantity}
	}
	return orderJSON{OrderID: o.ID, CustomerID: o.CustomerID, CustomerName: o.CustomerName, Items: items,
		Total: httpapi.Money(o.Total), Status: o.Status.String(), Reason: o.Reason, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

func (h *Handlers) handleGetOrder(ctx context.Context, id string) (orderJSON, error) {
	o, err := h.repo.Order(ctx, id)
	if err != nil {
		return orderJSON{}, err
	}
	return toOrderJSON(o), nil
}

// searchOrdersRequest is the book's SearchOrdersRequest: filters, the
// cursor of the page to read (next of the previous answer; "" for the
// first) and the page size.
type searchOrdersRequest struct {
	Filters searchFilters `json:"filters"`
	Next    string        `json:"next"`
	Limit   int           `json:"limit"`
}

// searchFilters are the book's filters. Times are RFC 3339 timestamps or
// plain dates (midnight UTC); after/before are accepted as short names for
// the book's afterDate/beforeDate.
type searchFilters struct {
	CustomerID string         `json:"customerId"`
	StoreIDs   []string       `json:"storeIds"`
	ProductIDs []string       `json:"productIds"`
	Status     string         `json:"status"`
	MinTotal   *httpapi.Money `json:"minTotal"`
	MaxTotal   *httpapi.Money `json:"maxTotal"`
	AfterDate  string         `json:"afterDate"`
	BeforeDate string         `json:"beforeDate"`
	After      string         `json:"after"`
	Before     string         `json:"before"`
}

// handleSearchOrders answers POST /api/search/orders with {"orders": […],
// "next": "<cursor>"}, the orders matching every filter given, newest first;
// next is "" on the last page. Malformed filters, limit or cursor are a 422
// naming each offending field.
func (h *Handlers) handleSearchOrders(w http.ResponseWriter, r *http.Request) {
	var req searchOrdersRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	q, err := req.query()
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	page, err := h.repo.Search(r.Context(), q)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	orders := make([]orderJSON, len(page.Orders))
	for i, o := range page.Orders {
		orders[i] = toOrderJSON(o)
	}
	httpapi.WriteJSON(w, http.StatusOK, struct {
		Orders []orderJSON `json:"orders"`
		Next   string      `json:"next"`
	}{orders, page.Next.String()})
}

// query validates the request into a search query. Every malformed field is
// reported, each by its JSON path, in one 422 problem.
func (req searchOrdersRequest) query() (ordersearch.Query, error) {
	v := validator{}
	in := req.Filters
	var f ordersearch.Filter
	f.CustomerID = v.id("filters.customerId", in.CustomerID)
	f.StoreIDs = v.ids("filters.storeIds", in.StoreIDs)
	f.ProductIDs = v.ids("filters.productIds", in.ProductIDs)
	if in.Status != "" {
		s, err := orderstatus.Parse(in.Status)
		if err != nil {
			v.fail("filters.status", fmt.Sprintf("must be one of %s, got %s", statusNames(), strconv.Quote(in.Status)))
		}
		f.Status = s
	}
	f.MinTotal = v.total("filters.minTotal", in.MinTotal)
	f.MaxTotal = v.total("filters.maxTotal", in.MaxTotal)
	var afterField, beforeField string
	afterField, f.After = v.instant("filters", "afterDate", in.AfterDate, "after", in.After)
	beforeField, f.Before = v.instant("filters", "beforeDate", in.BeforeDate, "before", in.Before)
	cursor, err := ordersearch.ParseCursor(req.Next)
	if err != nil {
		v.fail("next", "is not a cursor this search returned; start again without it")
	}
	if req.Limit < 0 || req.Limit > ordersearch.MaxLimit {
		v.fail("limit", fmt.Sprintf("must be between 1 and %d (0 or absent means %d), got %d",
			ordersearch.MaxLimit, ordersearch.DefaultLimit, req.Limit))
	}
	if err := v.err(); err != nil {
		return ordersearch.Query{}, err
	}

	// The fields are well-formed one by one; the domain checks how they
	// combine.
	q, err := ordersearch.NewQuery(f, cursor, req.Limit)
	switch {
	case errors.Is(err, ordersearch.ErrTotalRange):
		v.fail("filters.minTotal", "must not exceed filters.maxTotal")
	case errors.Is(err, ordersearch.ErrTimeRange):
		v.fail(afterField, "must be before "+beforeField)
	case err != nil:
		return ordersearch.Query{}, err
	}
	if err := v.err(); err != nil {
		return ordersearch.Query{}, err
	}
	return q, nil
}

// validator collects the field errors of one request.
type validator struct {
	errs []httpapi.FieldError
}

func (v *validator) fail(field, detail string) {
	v.errs = append(v.errs, httpapi.FieldError{Field: field, Detail: detail})
}

// err returns a 422 problem listing every failure, nil when there is none.
func (v *validator) err() error {
	if len(v.errs) == 0 {
		return nil
	}
	msgs := make([]string, len(v.errs))
	for i, e := range v.errs {
		msgs[i] = e.Field + " " + e.Detail
	}
	p := httpapi.NewProblem(http.StatusUnprocessableEntity, strings.Join(msgs, "; "))
	p.Errors = v.errs
	return p
}

// id returns s as a canonical UUID, "" when s is "".
func (v *validator) id(field, s string) string {
	if s == "" {
		return ""
	}
	id, ok := domain.ParseID(s)
	if !ok {
		v.fail(field, "must be a UUID, got "+quote(s))
		return ""
	}
	return id
}

func (v *validator) ids(field string, in []string) []string {
	var out []string
	for i, s := range in {
		if s == "" {
			v.fail(fmt.Sprintf("%s[%d]", field, i), "must be a UUID, got an empty string")
			continue
		}
		if id := v.id(fmt.Sprintf("%s[%d]", field, i), s); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func (v *validator) total(field string, m *httpapi.Money) *int64 {
	if m == nil {
		return nil
	}
	if *m < 0 {
		v.fail(field, "must not be negative, got "+m.String())
		return nil
	}
	cents := int64(*m)
	return &cents
}

// instant reads the one of two alternative fields (the book's name and its
// short form) that is set, and returns the name it was given under.
func (v *validator) instant(prefix, name, value, alias, aliasValue string) (string, time.Time) {
	field := prefix + "." + name
	switch {
	case value != "" && aliasValue != "":
		v.fail(field, "and "+prefix+"."+alias+" mean the same; give one")
		return field, time.Time{}
	case aliasValue != "":
		field, value = prefix+"."+alias, aliasValue
	case value == "":
		return field, time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, value); err == nil {
			return field, t.UTC()
		}
	}
	v.fail(field, "must be an RFC 3339 timestamp such as 2024-05-01T10:00:00Z or a date such as 2024-05-01, got "+quote(value))
	return field, time.Time{}
}

func statusNames() string {
	names := make([]string, len(orderstatus.All))
	for i, s := range orderstatus.All {
		names[i] = s.String()
	}
	return strings.Join(names, ", ")
}

// quote quotes client input for a detail, cut short so a problem never
// echoes a huge value back.
func quote(s string) string {
	const max = 60
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
