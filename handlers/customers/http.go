package customers

import (
	"context"

	"github.com/mallbots/mallbots/domain/customer"
	"github.com/mallbots/mallbots/httpapi"
)

// Routes registers the customers API (the book's routes) on mux.
func (h *Handlers) Routes(mux httpapi.Router) {
	mux.HandleFunc("POST /api/customers", httpapi.Create("", h.handleRegisterCustomer))
	mux.HandleFunc("GET /api/customers/{id}", httpapi.Get("customer", h.handleGetCustomer))
	mux.HandleFunc("PUT /api/customers/{id}/change-sms", httpapi.CommandWithBody(h.handleChangeSmsNumber))
	mux.HandleFunc("PUT /api/customers/{id}/enable", httpapi.Command(h.EnableCustomer))
	mux.HandleFunc("PUT /api/customers/{id}/disable", httpapi.Command(h.DisableCustomer))
}

type customerJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	SmsNumber string `json:"smsNumber"`
	Enabled   bool   `json:"enabled"`
}

func toCustomerJSON(c *customer.Customer) customerJSON {
	return customerJSON{ID: c.ID(), Name: c.Name(), SmsNumber: c.SmsNumber(), Enabled: c.Enabled()}
}

type registerCustomerRequest struct {
	Name      string `json:"name"`
	SmsNumber string `json:"smsNumber"`
}

type changeSmsNumberRequest struct {
	SmsNumber string `json:"smsNumber"`
}

func (h *Handlers) handleRegisterCustomer(ctx context.Context, _ string, req registerCustomerRequest) (string, error) {
	return h.RegisterCustomer(ctx, req.Name, req.SmsNumber)
}

func (h *Handlers) handleChangeSmsNumber(ctx context.Context, id string, req changeSmsNumberRequest) error {
	return h.ChangeSmsNumber(ctx, id, req.SmsNumber)
}

func (h *Handlers) handleGetCustomer(ctx context.Context, id string) (customerJSON, error) {
	c, err := h.repo.Get(ctx, id)
	if err != nil {
		return customerJSON{}, err
	}
	return toCustomerJSON(c), nil
}
