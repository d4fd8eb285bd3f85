package payments

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/mallbots/mallbots/domain/payment"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the payments API on mux: the book's authorize and pay
// routes plus reads of payments and invoices. ServeMux tells
// "GET /api/payments/invoices" (more specific: a literal segment) from
// "GET /api/payments/{id}", and "/api/payments/invoices/{id}" has one
// segment more than either, so none of the patterns conflict.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("POST /api/payments", httpapi.Create("", h.handleAuthorizePayment))
	mux.HandleFunc("GET /api/payments/{id}", httpapi.Get("payment", h.handleGetPayment))
	mux.HandleFunc("GET /api/payments/invoices", h.handleListInvoices)
	mux.HandleFunc("GET /api/payments/invoices/{id}", httpapi.Get("invoice", h.handleGetInvoice))
	mux.HandleFunc("PUT /api/payments/invoices/{id}/pay", h.handlePayInvoice)
}

type paymentJSON struct {
	ID         string        `json:"id"`
	CustomerID string        `json:"customerId"`
	Amount     httpapi.Money `json:"amount"`
	Status     string        `json:"status"`
	// OrderID is set once the payment is confirmed for an order.
	OrderID string `json:"orderId,omitempty"`
}

func toPaymentJSON(p *payment.Payment) paymentJSON {
	return paymentJSON{ID: p.ID(), CustomerID: p.CustomerID(), Amount: httpapi.Money(p.Amount()), Status: p.Status().String(), OrderID: p.OrderID()}
}

type invoiceJSON struct {
	ID        string        `json:"id"`
	OrderID   string        `json:"orderId"`
	PaymentID string        `json:"paymentId"`
	Amount    httpapi.Money `json:"amount"`
	Status    string        `json:"status"`
}

func toInvoiceJSON(inv *payment.Invoice) invoiceJSON {
	return invoiceJSON{ID: inv.ID(), OrderID: inv.OrderID(), PaymentID: inv.PaymentID(), Amount: httpapi.Money(inv.Amount()), Status: inv.Status().String()}
}

type authorizePaymentRequest struct {
	CustomerID string        `json:"customerId"`
	Amount     httpapi.Money `json:"amount"`
}

// payInvoiceRequest is the optional body of the pay route: when Amount is
// given it must equal the invoice's amount.
type payInvoiceRequest struct {
	Amount *httpapi.Money `json:"amount"`
}

func (h *Handlers) handleAuthorizePayment(ctx context.Context, _ string, req authorizePaymentRequest) (string, error) {
	return h.AuthorizePayment(ctx, req.CustomerID, int64(req.Amount))
}

func (h *Handlers) handleGetPayment(ctx context.Context, id string) (paymentJSON, error) {
	p, err := h.repo.Get(ctx, id)
	if err != nil {
		return paymentJSON{}, err
	}
	return toPaymentJSON(p), nil
}

func (h *Handlers) handleGetInvoice(ctx context.Context, id string) (invoiceJSON, error) {
	inv, err := h.repo.GetInvoice(ctx, id)
	if err != nil {
		return invoiceJSON{}, err
	}
	return toInvoiceJSON(inv), nil
}

// handleListInvoices serves GET /api/payments/invoices?orderId=…; the
// orderId query parameter is required and must be a UUID (400 otherwise).
func (h *Handlers) handleListInvoices(w http.ResponseWriter, r *http.Request) {
	orderID, err := httpapi.QueryID(r, "orderId")
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	list, err := h.repo.InvoicesOfOrder(r.Context(), orderID)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	out := make([]invoiceJSON, 0, len(list))
	for _, inv := range list {
		out = append(out, toInvoiceJSON(inv))
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"invoices": out})
}

// handlePayInvoice serves PUT /api/payments/invoices/{id}/pay. The body is
// optional: none (or only whitespace) pays the invoice's amount,
// {"amount": 10.00} must match it, and anything else is decoded strictly
// like every other body.
func (h *Handlers) handlePayInvoice(w http.ResponseWriter, r *http.Request) {
	id, err := httpapi.PathID(r, "id")
	if err == nil {
		var amount *int64
		amount, err = decodePayAmount(w, r)
		if err == nil {
			err = h.PayInvoice(r.Context(), id, amount)
		}
	}
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	httpapi.OK(w)
}

// decodePayAmount returns the amount of an optional payInvoiceRequest body,
// nil when there is no body or it has no amount.
func decodePayAmount(w http.ResponseWriter, r *http.Request) (*int64, error) {
	// httpapi.Decode rejects an empty body, so peek first, then hand Decode
	// the whole body (peeked part included) for its checks and limits.
	peek := make([]byte, 512)
	n, err := io.ReadFull(r.Body, peek)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, httpapi.NewProblem(http.StatusBadRequest, "request body could not be read")
	}
	if n < len(peek) && len(bytes.TrimSpace(peek[:n])) == 0 {
		return nil, nil
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(peek[:n]), r.Body), r.Body}
	var req payInvoiceRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		return nil, err
	}
	if req.Amount == nil {
		return nil, nil
	}
	amount := int64(*req.Amount)
	return &amount, nil
}
