package payments_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mallbots/mallbots/handlers/payments"
)

// routes are the patterns Routes registers, as "METHOD path"; keep in step
// with Routes.
var routes = []string{
	"POST /api/payments",
	"GET /api/payments/{id}",
	"GET /api/payments/invoices",
	"GET /api/payments/invoices/{id}",
	"PUT /api/payments/invoices/{id}/pay",
}

// sharedRefs are the components the merged document provides.
var sharedRefs = []string{
	"#/components/schemas/Created", "#/components/schemas/Empty", "#/components/schemas/Money",
	"#/components/responses/Problem", "#/components/parameters/IdempotencyKey",
}

type openAPIFragment struct {
	Paths      map[string]map[string]openAPIOperation `yaml:"paths"`
	Components map[string]map[string]any              `yaml:"components"`
}

type openAPIOperation struct {
	OperationID string                 `yaml:"operationId"`
	Summary     string                 `yaml:"summary"`
	Tags        []string               `yaml:"tags"`
	Responses   map[string]yaml.Node   `yaml:"responses"`
	RequestBody map[string]any         `yaml:"requestBody"`
	Parameters  []map[string]yaml.Node `yaml:"parameters"`
}

func TestOpenAPIFragmentMatchesTheRoutes(t *testing.T) {
	data, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIFragment
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var top yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(top.Content[0].Content); i += 2 {
		if key := top.Content[0].Content[i].Value; key != "paths" && key != "components" {
			t.Errorf("top-level key %q; a fragment has only paths and components", key)
		}
	}
	for kind := range doc.Components {
		if kind != "schemas" {
			t.Errorf("components.%s; a fragment defines only schemas", kind)
		}
	}

	mux := http.NewServeMux()
	payments.New(newFakeRepo(), newFakeRepo(), sequentialIDs()).Routes(mux)
	var documented []string
	ids := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			route := strings.ToUpper(method) + " " + path
			documented = append(documented, route)
			// The mux must route a concrete request for it to this very pattern.
			req := httptest.NewRequest(strings.ToUpper(method), strings.ReplaceAll(path, "{id}", paymentID), nil)
			if _, pattern := mux.Handler(req); pattern != route {
				t.Errorf("%s: the mux routes it to %q", route, pattern)
			}
			if op.OperationID == "" || ids[op.OperationID] || op.Summary == "" || !slices.Equal(op.Tags, []string{"payments"}) {
				t.Errorf("%s: operationId %q (unique), summary %q and tags %v [payments] are required", route, op.OperationID, op.Summary, op.Tags)
			}
			ids[op.OperationID] = true
			success := false
			for code, resp := range op.Responses {
				if code[0] == '2' {
					success = true
					continue
				}
				if ref := refOf(resp); ref != "#/components/responses/Problem" {
					t.Errorf("%s: error response %s is %q, want the shared Problem", route, code, ref)
				}
			}
			if !success {
				t.Errorf("%s: no success response", route)
			}
			if (method == "post" || method == "put") && op.RequestBody == nil {
				t.Errorf("%s: no request body schema", route)
			}
			for _, p := range op.Parameters {
				if in := p["in"].Value; in == "path" && !strings.Contains(path, "{"+p["name"].Value+"}") {
					t.Errorf("%s: path parameter %q is not in the path", route, p["name"].Value)
				}
			}
		}
	}
	slices.Sort(documented)
	want := slices.Sorted(slices.Values(routes))
	if !slices.Equal(documented, want) {
		t.Errorf("documented routes = %v, want %v", documented, want)
	}

	// Every reference resolves, to this fragment's schemas or a shared one.
	for _, ref := range collectRefs(&top) {
		name, local := strings.CutPrefix(ref, "#/components/schemas/")
		if slices.Contains(sharedRefs, ref) || local && doc.Components["schemas"][name] != nil {
			continue
		}
		t.Errorf("unresolved $ref %q", ref)
	}
}

func refOf(n yaml.Node) string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "$ref" {
			return n.Content[i+1].Value
		}
	}
	return ""
}

func collectRefs(n *yaml.Node) []string {
	var refs []string
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "$ref" {
				refs = append(refs, n.Content[i+1].Value)
			}
		}
	}
	for _, c := range n.Content {
		refs = append(refs, collectRefs(c)...)
	}
	return refs
}
