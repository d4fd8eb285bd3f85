package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"

	"github.com/mallbots/mallbots/internal/testkit"
)

// apiOperation is one documented method of one documented path.
type apiOperation struct {
	method, path string
	params       []map[string]any // path, query and header parameters, resolved
	body         map[string]any   // the JSON request body's schema, resolved; nil when none
}

// openAPI is the served document, with a resolver for its local $refs.
type openAPI struct {
	root map[string]any
}

func (d openAPI) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			break
		}
		var node any = d.root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			node = node.(map[string]any)[part]
		}
		m, _ = node.(map[string]any)
	}
	if all, ok := m["allOf"].([]any); ok && len(all) > 0 {
		merged := maps.Clone(d.resolve(all[0]))
		for k, v := range m {
			if k != "allOf" {
				merged[k] = v
			}
		}
		return merged
	}
	return m
}

// operations lists every documented operation, sorted.
func (d openAPI) operations() []apiOperation {
	var out []apiOperation
	for path, item := range d.root["paths"].(map[string]any) {
		ops := item.(map[string]any)
		var shared []any
		if p, ok := ops["parameters"].([]any); ok {
			shared = p
		}
		for method, v := range ops {
			op, ok := v.(map[string]any)
			if method == "parameters" || !ok {
				continue
			}
			o := apiOperation{method: strings.ToUpper(method), path: path}
			own, _ := op["parameters"].([]any)
			for _, p := range append(slices.Clone(shared), own...) {
				o.params = append(o.params, d.resolve(p))
			}
			if rb := d.resolve(op["requestBody"]); rb != nil {
				if content, ok := rb["content"].(map[string]any)["application/json"].(map[string]any); ok {
					o.body = d.resolve(content["schema"])
				}
			}
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b apiOperation) int { return strings.Compare(a.path+a.method, b.path+b.method) })
	return out
}

// example builds a well-formed value for schema; ids supplies real IDs for
// uuid fields by name.
func (d openAPI) example(schema map[string]any, name string, ids map[string]string) any {
	schema = d.resolve(schema)
	if enum, ok := schema["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	switch schema["type"] {
	case "object":
		out := map[string]any{}
		props, _ := schema["properties"].(map[string]any)
		for k, v := range props {
			out[k] = d.example(d.resolve(v), k, ids)
		}
		return out
	case "array":
		return []any{d.example(d.resolve(schema["items"]), name, ids)}
	case "integer":
		if min, ok := schema["minimum"].(int); ok && min > 1 {
			return min
		}
		return 1
	case "number":
		return 1.5
	case "boolean":
		return true
	case "string":
		switch schema["format"] {
		case "uuid":
			if id, ok := ids[name]; ok {
				return id
			}
			return uuid.NewString()
		case "date-time":
			return "2025-01-01T00:00:00Z"
		}
		return "x"
	}
	return 1.5 // Money and other numbers by $ref
}

// leaves lists the paths (keys and indexes) of every scalar in v, and of
// every array.
func leaves(v any, at []any) [][]any {
	var out [][]any
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			out = append(out, leaves(v[k], append(slices.Clip(at), k))...)
		}
	case []any:
		out = append(out, at)
		for i, e := range v {
			out = append(out, leaves(e, append(slices.Clip(at), i))...)
		}
	default:
		out = append(out, at)
	}
	return out
}

// valueAt returns the value at path in v.
func valueAt(v any, path []any) any {
	for _, key := range path {
		switch n := v.(type) {
		case map[string]any:
			v = n[key.(string)]
		case []any:
			v = n[key.(int)]
		}
	}
	return v
}

// mutantToken marks where a mutant goes in a marshalled body.
const mutantToken = `"\u0001mutant\u0001"`

// withMutant returns v marshalled with the value at path replaced by raw,
// bytes that need not be JSON, let alone UTF-8.
func withMutant(t *testing.T, v any, path []any, raw string) string {
	t.Helper()
	var cp any
	b, _ := json.Marshal(v)
	_ = json.Unmarshal(b, &cp)
	if len(path) == 0 {
		return raw
	}
	switch parent := valueAt(cp, path[:len(path)-1]).(type) {
	case map[string]any:
		parent[path[len(path)-1].(string)] = "\u0001mutant\u0001"
	case []any:
		parent[path[len(path)-1].(int)] = "\u0001mutant\u0001"
	}
	out, err := json.Marshal(cp)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(out), mutantToken, raw, 1)
}

// badValues replace one value of a well-formed body: text the API refuses,
// wrong types, absurd numbers and sizes.
var badValues = []string{
	`"ab\u0000cd"`, `"a\u001bb"`, `"a\u0085b"`, "\"ab\xff\xfecd\"", "\"\xc0\x80\"", `"\ud800"`,
	`"` + strings.Repeat("x", 1001) + `"`, `"` + strings.Repeat("é", 20000) + `"`, `""`, `"not-a-uuid"`,
	`1e400`, `-1e400`, `1e20`, `-1`, `0`, `0.001`, `99999999999999999999999999`, `1.5`, `-0.01`,
	`9223372036854775807`, `-9223372036854775808`, `2147483648`, `100000000000`, `-100000000000`, `1000`, `1001`,
	`true`, `null`, `[]`, `{}`, `[` + strings.Repeat(`"x",`, 3000) + `"x"]`, `{"a":` + strings.Repeat(`[`, 200) + strings.Repeat(`]`, 200) + `}`,
}

// badBodies replace the whole body.
var badBodies = []string{
	"", " ", "null", "[]", "{", "}", "x", `"text"`, "1", "{}", `{"unknown":1}`, "{}{}", "{} x",
	"\xff\xfe{}", "\x00", strings.Repeat("[", 100000), `{"a":"` + strings.Repeat("x", 70000) + `"}`,
}

// TestEveryDocumentedRouteAnswersBadInputWithA4xxProblem reads the served
// /openapi.yaml, and sends every documented operation malformed bodies,
// wrong types, NUL and invalid UTF-8 in every field, huge values, empty
// bodies, wrong content types, bad path and query parameters and bad
// Idempotency-Keys, against the real serve with every service: no answer is
// a 5xx, and every error is application/problem+json.
func TestEveryDocumentedRouteAnswersBadInputWithA4xxProblem(t *testing.T) {
	s := startSystem(t)
	ids := s.realEntities()

	resp, err := http.Get(s.base + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	err = yaml.NewDecoder(resp.Body).Decode(&root)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	doc := openAPI{root: root}
	ops := doc.operations()
	if len(ops) < 40 {
		t.Fatalf("only %d operations documented; the document was not read right", len(ops))
	}

	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	sent, failures := 0, 0
	statuses := map[int]int{}
	send := func(op apiOperation, path, query, body string, header http.Header) {
		t.Helper()
		sent++
		target := s.base + path
		if query != "" {
			target += "?" + query
		}
		req, err := http.NewRequest(op.method, target, strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s %s: %v", op.method, target, err)
		}
		req.Header = header.Clone()
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s %s %.80q: %v", op.method, path, body, err)
			return
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		statuses[resp.StatusCode]++
		bad := ""
		switch {
		case resp.StatusCode >= 500:
			bad = "a 5xx"
		case resp.StatusCode >= 400 && op.method != http.MethodHead && !isProblem(resp.Header):
			bad = "an error that is not problem+json"
		case resp.StatusCode >= 400 && op.method != http.MethodHead && !validProblem(raw, resp.StatusCode):
			bad = "a malformed problem document"
		}
		if bad != "" {
			failures++
			if failures <= 40 {
				t.Errorf("%s %s?%.40s body %.100q (%s): %d %s %.300s — %s",
					op.method, path, query, body, header.Get("Content-Type"), resp.StatusCode, resp.Header.Get("Content-Type"), raw, bad)
			}
		}
	}

	for _, op := range ops {
		validPath := fillPath(op.path, func(name string) string { return idOf(ids, pathKey(op.path, name)) })
		validQuery := url.Values{}
		var queryParams []string
		for _, p := range op.params {
			if p["in"] != "query" {
				continue
			}
			name := p["name"].(string)
			queryParams = append(queryParams, name)
			validQuery.Set(name, fmt.Sprint(doc.example(doc.resolve(p["schema"]), name, ids)))
		}
		var body any
		if op.body != nil {
			body = doc.example(op.body, "", ids)
		}
		jsonBody := func() string {
			if body == nil {
				return ""
			}
			b, _ := json.Marshal(body)
			return string(b)
		}()
		hdr := http.Header{"Content-Type": {"application/json"}}

		// Path parameters: valid, unknown, and malformed.
		for _, bad := range []string{uuid.NewString(), "not-a-uuid", "%00", "%ff%fe", "%2e%2e", "%2F", strings.Repeat("a", 300),
			"0190a1b2-0000-7000-8000-00000000000g", "%20", "%C0%AE", "' OR 1=1 --"} {
			if !strings.Contains(op.path, "{") {
				break
			}
			for name := range strings.SplitSeq(pathParams(op.path), ",") {
				p := fillPath(op.path, func(n string) string {
					if n == name {
						return bad
					}
					return idOf(ids, pathKey(op.path, n))
				})
				send(op, strings.ReplaceAll(p, " ", "%20"), validQuery.Encode(), jsonBody, hdr)
			}
		}
		// Query parameters: missing, empty and malformed.
		for _, name := range queryParams {
			for _, bad := range []string{"", "not-a-uuid", "%00", "%ff", "%zz", strings.Repeat("9", 400), "-1", "1e400"} {
				q := validQuery.Encode()
				q = regexp.MustCompile(`(^|&)`+name+`=[^&]*`).ReplaceAllString(q, "${1}"+name+"="+bad)
				send(op, validPath, q, jsonBody, hdr)
			}
		}
		send(op, validPath, validQuery.Encode(), jsonBody, hdr)

		// Bodies: every value of a well-formed body replaced by a bad one,
		// then whole bodies, then content types.
		if body != nil {
			for _, at := range leaves(body, nil) {
				for _, bad := range badValues {
					send(op, validPath, validQuery.Encode(), withMutant(t, body, at, bad), hdr)
				}
				// An array of many well-formed elements: under and over the
				// body limit.
				if arr, ok := valueAt(body, at).([]any); ok && len(arr) > 0 {
					elem, _ := json.Marshal(arr[0])
					for _, n := range []int{250, 5000} {
						many := "[" + strings.TrimSuffix(strings.Repeat(string(elem)+",", n), ",") + "]"
						send(op, validPath, validQuery.Encode(), withMutant(t, body, at, many), hdr)
					}
				}
			}
		}
		for _, b := range badBodies {
			send(op, validPath, validQuery.Encode(), b, hdr)
		}
		for _, ct := range []string{"text/plain", "application/xml", "application/json; charset=latin1", "application/json;;", "multipart/form-data; boundary=x"} {
			send(op, validPath, validQuery.Encode(), jsonBody, http.Header{"Content-Type": {ct}})
		}
		send(op, validPath, validQuery.Encode(), jsonBody, http.Header{})

		// Idempotency-Keys and correlation IDs nobody should send.
		for _, key := range []string{"\xff\xfe", "caf\xc3\xa9", strings.Repeat("k", 256), " ", uuid.NewString()} {
			send(op, validPath, validQuery.Encode(), jsonBody, http.Header{"Content-Type": {"application/json"}, "Idempotency-Key": {key}})
		}
		for _, corr := range []string{"\xff", strings.Repeat("c", 500), "a b"} {
			send(op, validPath, validQuery.Encode(), jsonBody, http.Header{"Content-Type": {"application/json"}, "X-Correlation-Id": {corr}})
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d requests answered a 5xx or an error that is not a problem", failures, sent)
	}
	t.Logf("%d requests over %d documented operations; answers by status: %v", sent, len(ops), statuses)
}

// validProblem reports whether raw is an RFC 9457 problem with status.
func validProblem(raw []byte, status int) bool {
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
	}
	return json.Unmarshal(raw, &p) == nil && p.Type != "" && p.Title != "" && p.Status == status
}

var pathParamRE = regexp.MustCompile(`\{([^}]+)\}`)

// pathParams returns the names of path's parameters, comma-separated.
func pathParams(path string) string {
	var names []string
	for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
		names = append(names, m[1])
	}
	return strings.Join(names, ",")
}

// fillPath replaces each {name} in path with value(name).
func fillPath(path string, value func(name string) string) string {
	return pathParamRE.ReplaceAllStringFunc(path, func(m string) string { return value(m[1 : len(m)-1]) })
}

// pathKey names the entity a path parameter refers to, as realEntities
// keys it: the collection before it ("stores/{id}" → "stores") or the
// parameter's own name ("storeId"). Keys realEntities has no entity for
// (an order, a shopping list) get fresh UUIDs from idOf.
func pathKey(path, name string) string {
	if name != "id" {
		return name
	}
	before, _, _ := strings.Cut(path, "{id}")
	parts := strings.Split(strings.Trim(before, "/"), "/")
	return parts[len(parts)-1]
}

// realEntities creates one of each entity the routes take IDs of, so
// well-formed requests reach the routes' bodies, and returns their IDs by
// pathKey and by JSON field name.
func (s *system) realEntities() map[string]string {
	s.t.Helper()
	storeID := s.mustCreate("/api/stores", `{"name":"Robo Parts","location":"Level 1"}`, nil)
	productID := s.mustCreate("/api/stores/"+storeID+"/products", `{"name":"Servo","sku":"SRV-1","price":9.99}`, nil)
	customerID := s.mustCreate("/api/customers", `{"name":"Ada","smsNumber":"+1 555 123 4567"}`, nil)
	botID := s.mustCreate("/api/depot/bots", `{"name":"R2"}`, nil)
	paymentID := s.mustCreate("/api/payments", `{"customerId":"`+customerID+`","amount":9.99}`, nil)
	var basketID string
	testkit.Eventually(s.t, 10*time.Second, "the customer reaches the baskets cache", func() bool {
		status, out, _ := s.do(http.MethodPost, "/api/baskets", `{"customerId":"`+customerID+`"}`, nil)
		basketID, _ = out["id"].(string)
		return status == http.StatusCreated
	})
	ids := map[string]string{
		"stores": storeID, "products": productID, "customers": customerID, "bots": botID, "payments": paymentID,
		"baskets": basketID, "storeId": storeID, "productId": productID, "customerId": customerID,
		"paymentId": paymentID, "botId": botID, "orderId": basketID,
	}
	return ids
}

// idOf returns the real ID for key, a fresh UUID when there is none.
func idOf(ids map[string]string, key string) string {
	if id, ok := ids[key]; ok {
		return id
	}
	return uuid.NewString()
}
