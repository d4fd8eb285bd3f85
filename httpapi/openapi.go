package httpapi

import (
	"fmt"
	"net/http"
	"sort"

	"gopkg.in/yaml.v3"
)

// Router is where a service registers its routes: an *http.ServeMux when
// serving, a recorder when a test compares the routes with the OpenAPI
// document.
type Router interface {
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// MergeOpenAPI returns base, a complete OpenAPI 3 document, with the
// fragments of the services merged in. A fragment holds only `paths` and
// optionally `components.schemas` (a service describes its own routes and
// entities; the shared components live in base). The same operation or
// schema described twice is an error naming it, so two services can never
// silently overwrite each other's description.
func MergeOpenAPI(base []byte, fragments map[string][]byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("base OpenAPI document: %w", err)
	}
	paths := child(doc, "paths")
	schemas := child(child(doc, "components"), "schemas")
	names := make([]string, 0, len(fragments))
	for name := range fragments {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		var frag map[string]any
		if err := yaml.Unmarshal(fragments[name], &frag); err != nil {
			return nil, fmt.Errorf("OpenAPI fragment of %s: %w", name, err)
		}
		for key := range frag {
			if key != "paths" && key != "components" {
				return nil, fmt.Errorf("OpenAPI fragment of %s: only paths and components.schemas may be given, not %s", name, key)
			}
		}
		for path, ops := range child(frag, "paths") {
			opsMap, ok := ops.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("OpenAPI fragment of %s: path %s is not a map of operations", name, path)
			}
			merged := child(paths, path)
			for method, op := range opsMap {
				if _, dup := merged[method]; dup {
					return nil, fmt.Errorf("OpenAPI fragment of %s: %s %s is described twice", name, method, path)
				}
				merged[method] = op
			}
		}
		for schema, def := range child(child(frag, "components"), "schemas") {
			if _, dup := schemas[schema]; dup {
				return nil, fmt.Errorf("OpenAPI fragment of %s: schema %s is described twice", name, schema)
			}
			schemas[schema] = def
		}
	}
	return yaml.Marshal(doc)
}

// child returns m[key] as a map, creating it when missing.
func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}
