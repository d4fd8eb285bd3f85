package httpapi_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mallbots/mallbots/httpapi"
)

const base = `openapi: 3.0.3
paths:
  /healthz:
    get: {operationId: live}
components:
  schemas:
    Empty: {type: object}
`

func TestMergeOpenAPI(t *testing.T) {
	doc, err := httpapi.MergeOpenAPI([]byte(base), map[string][]byte{
		"a": []byte("paths:\n  /a:\n    get: {operationId: getA}\ncomponents:\n  schemas:\n    A: {type: object}\n"),
		"b": []byte("paths:\n  /a:\n    put: {operationId: putA}\n  /b:\n    get: {operationId: getB}\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Paths      map[string]map[string]any
		Components struct{ Schemas map[string]any }
	}
	if err := yaml.Unmarshal(doc, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Paths) != 3 || len(got.Paths["/a"]) != 2 || got.Components.Schemas["A"] == nil || got.Components.Schemas["Empty"] == nil {
		t.Errorf("merged = %+v", got)
	}

	for name, frag := range map[string]string{
		"operation twice": "paths:\n  /healthz:\n    get: {operationId: again}\n",
		"schema twice":    "components:\n  schemas:\n    Empty: {type: object}\n",
		"foreign key":     "info: {title: x}\n",
		"not yaml":        "paths: [",
	} {
		if _, err := httpapi.MergeOpenAPI([]byte(base), map[string][]byte{"svc": []byte(frag)}); err == nil || !strings.Contains(err.Error(), "svc") {
			t.Errorf("%s: error = %v, want one naming the fragment", name, err)
		}
	}
}
