package cmd

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mallbots/mallbots/httpapi"
)

// routeRecorder registers routes on the real httpapi.Mux, each answering
// with the pattern it was registered with, and remembers them, so the test
// can ask the mux which route a documented path hits.
type routeRecorder struct {
	mux      *httpapi.Mux
	patterns []string
}

func (r *routeRecorder) HandleFunc(pattern string, _ func(http.ResponseWriter, *http.Request)) {
	r.mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("X-Pattern", pattern) })
	r.patterns = append(r.patterns, pattern)
}

// patternFor returns the pattern of the route that serves method url, "" when none.
func (r *routeRecorder) patternFor(method, url string) string {
	w := httptest.NewRecorder()
	r.mux.ServeHTTP(w, httptest.NewRequest(method, url, nil))
	return w.Header().Get("X-Pattern")
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// TestOpenAPIDocumentMatchesTheRoutes checks both ways: every documented
// operation reaches a registered route with its method, and every registered
// route is reached by some documented operation.
func TestOpenAPIDocumentMatchesTheRoutes(t *testing.T) {
	doc, err := openAPIDocument(registry)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(doc, &spec); err != nil {
		t.Fatalf("the merged document is not YAML: %v", err)
	}
	if !strings.HasPrefix(spec.OpenAPI, "3.") {
		t.Fatalf("openapi = %q, want 3.x", spec.OpenAPI)
	}

	rec := &routeRecorder{mux: httpapi.NewMux()}
	for _, b := range buildAll(t) {
		b.routes(rec)
	}
	platformRoutes(rec, &health{}, http.NotFoundHandler(), doc)

	covered := map[string]bool{}
	operationIDs := map[string]string{}
	for path, ops := range spec.Paths {
		for method, v := range ops {
			op, isOp := v.(map[string]any)
			if method == "parameters" || !isOp {
				continue
			}
			where := strings.ToUpper(method) + " " + path
			url := pathParam.ReplaceAllString(path, "0190a1b2-0000-7000-8000-000000000001")
			pattern := rec.patternFor(strings.ToUpper(method), url)
			if pattern == "" {
				t.Errorf("%s is documented but no route serves it", where)
				continue
			}
			covered[pattern] = true
			id, _ := op["operationId"].(string)
			if id == "" || op["summary"] == nil || op["tags"] == nil || op["responses"] == nil {
				t.Errorf("%s needs an operationId, summary, tags and responses", where)
			}
			if other, dup := operationIDs[id]; dup {
				t.Errorf("operationId %s names both %s and %s", id, other, where)
			}
			operationIDs[id] = where
		}
	}
	sort.Strings(rec.patterns)
	for _, p := range rec.patterns {
		if !covered[p] {
			t.Errorf("route %q is served but not documented in any service's openapi.yaml", p)
		}
	}
	if len(rec.patterns) < 20 {
		t.Errorf("only %d routes registered; the recorder missed the services' routes", len(rec.patterns))
	}
}

// TestOpenAPIReferencesResolve checks that every $ref in the merged document
// names a component that exists.
func TestOpenAPIReferencesResolve(t *testing.T) {
	doc, err := openAPIDocument(registry)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := yaml.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	refs := 0
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				refs++
				if !resolves(root, ref) {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(root)
	if refs == 0 {
		t.Error("no $ref found; the walk is broken")
	}
}

// resolves reports whether a local reference "#/a/b/c" names a node of root.
func resolves(root map[string]any, ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	var node any = root
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := node.(map[string]any)
		if !ok {
			return false
		}
		if node, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func TestServeAnswersTheOpenAPIDocument(t *testing.T) {
	s := startSystem(t, "stores")
	resp, err := http.Get(s.base + "/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var spec struct {
		Paths map[string]any `yaml:"paths"`
	}
	if err := yaml.NewDecoder(resp.Body).Decode(&spec); err != nil {
		t.Fatalf("GET /openapi.yaml is not YAML: %v", err)
	}
	if resp.Header.Get("Content-Type") != "application/yaml" {
		t.Errorf("Content-Type = %q", resp.Header.Get("Content-Type"))
	}
	if spec.Paths["/api/stores"] == nil {
		t.Error("the stores process documents no /api/stores")
	}
	if spec.Paths["/api/customers"] != nil {
		t.Error("a stores-only process documents the customers routes it does not serve")
	}
}
