package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
)

// Request serves one request to h in process and returns the recorded
// response. A non-empty body is sent with Content-Type application/json; an
// empty body is sent as no body and no Content-Type, as a client sends a
// command that takes no input. path may carry a query string. A method or
// path that is not a valid request line panics, as in httptest.NewRequest.
func Request(t testing.TB, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// AssertJSON fails the test unless rec is an application/json response with
// status whose body is a single JSON value equal to want. Objects are
// compared regardless of key order and whitespace, arrays in order, and
// numbers by their text: money the API writes as 12.50 must be wanted as
// 12.50, not 12.5. A wrong status or a body (or want) that is not JSON stops
// the test; a wrong Content-Type or a different value is reported and the
// test goes on.
func AssertJSON(t testing.TB, rec *httptest.ResponseRecorder, status int, want string) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	got, err := decodeJSON(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("body is not JSON: %v; %s", err, rec.Body)
	}
	exp, err := decodeJSON([]byte(want))
	if err != nil {
		t.Fatalf("want is not JSON: %v; %s", err, want)
	}
	if !reflect.DeepEqual(got, exp) {
		gotJSON, _ := json.Marshal(got)
		expJSON, _ := json.Marshal(exp)
		t.Errorf("body = %s\nwant   %s", gotJSON, expJSON)
	}
}

// decodeJSON decodes exactly one JSON value from b, keeping numbers as the
// text they were written as (json.Number).
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("more after the JSON value ending at offset %d", dec.InputOffset())
	}
	return v, nil
}

// AssertProblem fails the test unless rec is an application/problem+json
// response with status whose problem repeats that status, has a title and a
// non-empty detail, and whose detail contains detail (so "" accepts any
// detail). It returns the decoded problem for further checks. A wrong status
// or a body that is not a problem stops the test; the other mismatches are
// reported and the test goes on.
func AssertProblem(t testing.TB, rec *httptest.ResponseRecorder, status int, detail string) httpapi.Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status = %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != httpapi.ContentTypeProblem {
		t.Errorf("Content-Type = %q, want %q", ct, httpapi.ContentTypeProblem)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("body is not a problem: %v; %s", err, rec.Body)
	}
	if p.Status != status || p.Title == "" || p.Detail == "" || !strings.Contains(p.Detail, detail) {
		t.Errorf("problem = %s, want status %d, a title and a detail containing %q", rec.Body, status, detail)
	}
	return p
}

// AssertCommand fails the test unless rec is a command's answer with status:
// 200 with the empty object {} (as AssertJSON checks it), or for any other
// status a problem whose detail contains detail (as AssertProblem checks it).
func AssertCommand(t testing.TB, rec *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	if status == http.StatusOK {
		AssertJSON(t, rec, http.StatusOK, `{}`)
		return
	}
	AssertProblem(t, rec, status, detail)
}
