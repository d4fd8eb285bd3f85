// Package client is a small Go client of the mallbots HTTP API, for the
// demo, the benchmark and anyone scripting the mall: it sends JSON, decodes
// the book's response shapes and turns problem+json answers into *Error.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mallbots/mallbots/httpapi"
)

// Money is an amount in integer cents, a decimal number in JSON.
type Money = httpapi.Money

// Client calls one mallbots HTTP edge. The zero value is not usable; use New.
type Client struct {
	base          string
	http          *http.Client
	correlationID string
}

// New returns a client of the API at baseURL ("http://localhost:8080").
func New(baseURL string) *Client {
	return &Client{
		base: strings.TrimRight(baseURL, "/"),
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}},
	}
}

// WithCorrelation returns a client that sends X-Correlation-ID id on every
// request, so every event those requests cause carries it.
func (c *Client) WithCorrelation(id string) *Client {
	cp := *c
	cp.correlationID = id
	return &cp
}

// Error is a non-2xx answer: its status and the problem's detail.
type Error struct {
	Method, Path string
	Status       int
	Detail       string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Detail)
}

// StatusOf returns the HTTP status of an *Error in err's chain, or 0.
func StatusOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status
	}
	return 0
}

// Do sends body (nil for none) as JSON and decodes a 2xx answer into out
// (nil to discard it). Any other status is an *Error.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.correlationID != "" {
		req.Header.Set(httpapi.HeaderCorrelationID, c.correlationID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var p httpapi.Problem
		detail := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &p) == nil && p.Detail != "" {
			detail = p.Detail
		}
		return &Error{Method: method, Path: path, Status: resp.StatusCode, Detail: detail}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// create POSTs body to path and returns the new entity's id.
func (c *Client) create(ctx context.Context, path string, body any) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	if err := c.Do(ctx, http.MethodPost, path, body, &out); err != nil {
		return "", err
	}
	return out.ID, nil
}
