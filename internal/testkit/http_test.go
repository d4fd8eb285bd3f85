package testkit_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/mallbots/mallbots/httpapi"
	"github.com/mallbots/mallbots/internal/testkit"
)

// spy stands in for the *testing.T an assertion is given, recording whether
// it reported a failure and whether it stopped the test.
type spy struct {
	testing.TB
	failed, stopped bool
	log             []string
}

func (s *spy) Helper() {}

func (s *spy) Errorf(format string, args ...any) {
	s.failed = true
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

func (s *spy) Fatalf(format string, args ...any) {
	s.Errorf(format, args...)
	s.stopped = true
	runtime.Goexit()
}

// outcome is what an assertion did to the test.
type outcome string

const (
	pass outcome = "pass"
	fail outcome = "fail" // reported, test goes on
	stop outcome = "stop" // reported, test stopped
)

// check runs assert against a spy on its own goroutine, so that Fatalf can
// end it, and fails t unless the assertion had the wanted outcome.
func check(t *testing.T, want outcome, assert func(testing.TB)) {
	t.Helper()
	s := &spy{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert(s)
	}()
	<-done
	got := pass
	switch {
	case s.stopped:
		got = stop
	case s.failed:
		got = fail
	}
	if got != want {
		t.Errorf("assertion outcome %s, want %s; it said %q", got, want, s.log)
	}
}

func recorded(status int, contentType, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", contentType)
	rec.WriteHeader(status)
	_, _ = io.WriteString(rec, body)
	return rec
}

func TestRequest(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %q %q", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), b)
	})
	for _, tc := range []struct {
		method, path, body, want string
	}{
		{http.MethodPost, "/api/things?x=1", `{"a":1}`, `POST /api/things?x=1 "application/json" "{\"a\":1}"`},
		{http.MethodPut, "/api/things/1/close", "", `PUT /api/things/1/close "" ""`},
	} {
		if got := testkit.Request(t, echo, tc.method, tc.path, tc.body).Body.String(); got != tc.want {
			t.Errorf("handler saw %s, want %s", got, tc.want)
		}
	}
}

func TestAssertJSON(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        string
		outcome     outcome
	}{
		{"equal but for key order and whitespace", 200, "application/json", `{"b":[1,2],"a":"x"}` + "\n", `{"a": "x", "b": [1, 2]}`, pass},
		{"a number written differently", 200, "application/json", `{"total":12.50}`, `{"total":12.5}`, fail},
		{"array out of order", 200, "application/json", `[1,2]`, `[2,1]`, fail},
		{"a field more", 200, "application/json", `{"a":1,"b":2}`, `{"a":1}`, fail},
		{"wrong content type", 200, "text/plain", `{}`, `{}`, fail},
		{"wrong status", 201, "application/json", `{}`, `{}`, stop},
		{"body not JSON", 200, "application/json", `{`, `{}`, stop},
		{"more after the value", 200, "application/json", `{} {}`, `{}`, stop},
		{"want not JSON", 200, "application/json", `{}`, `{'a':1}`, stop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.outcome, func(tb testing.TB) {
				testkit.AssertJSON(tb, recorded(tc.status, tc.contentType, tc.body), 200, tc.want)
			})
		})
	}
}

func TestAssertProblem(t *testing.T) {
	const good = `{"type":"about:blank","title":"Conflict","status":409,"detail":"bot is busy"}`
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		detail      string
		outcome     outcome
	}{
		{"detail contained", 409, httpapi.ContentTypeProblem, good, "is busy", pass},
		{"any detail", 409, httpapi.ContentTypeProblem, good, "", pass},
		{"other detail", 409, httpapi.ContentTypeProblem, good, "not found", fail},
		{"empty detail", 409, httpapi.ContentTypeProblem, `{"title":"Conflict","status":409}`, "", fail},
		{"no title", 409, httpapi.ContentTypeProblem, `{"status":409,"detail":"bot is busy"}`, "", fail},
		{"status field differs", 409, httpapi.ContentTypeProblem, `{"title":"Conflict","status":400,"detail":"bot is busy"}`, "", fail},
		{"plain JSON", 409, "application/json", good, "", fail},
		{"wrong status", 400, httpapi.ContentTypeProblem, good, "", stop},
		{"not a problem", 409, httpapi.ContentTypeProblem, `[]`, "", stop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.outcome, func(tb testing.TB) {
				testkit.AssertProblem(tb, recorded(tc.status, tc.contentType, tc.body), 409, tc.detail)
			})
		})
	}
	p := testkit.AssertProblem(t, recorded(409, httpapi.ContentTypeProblem, good), 409, "")
	if p.Detail != "bot is busy" || p.Title != "Conflict" {
		t.Errorf("returned problem %+v, want the decoded body", p)
	}
}

func TestAssertCommand(t *testing.T) {
	const busy = `{"title":"Conflict","status":409,"detail":"bot is busy"}`
	for _, tc := range []struct {
		name        string
		status      int
		contentType string
		body        string
		want        int
		outcome     outcome
	}{
		{"done", 200, "application/json", `{}`, 200, pass},
		{"done with a body", 200, "application/json", `{"id":"1"}`, 200, fail},
		{"refused as wanted", 409, httpapi.ContentTypeProblem, busy, 409, pass},
		{"refused, wanted done", 409, httpapi.ContentTypeProblem, busy, 200, stop},
		{"done, wanted refused", 200, "application/json", `{}`, 409, stop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check(t, tc.outcome, func(tb testing.TB) {
				testkit.AssertCommand(tb, recorded(tc.status, tc.contentType, tc.body), tc.want, "busy")
			})
		})
	}
}
