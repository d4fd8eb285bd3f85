package cmd

import (
	_ "embed"
	"fmt"

	"github.com/mallbots/mallbots/httpapi"
)

// openAPIBase is the OpenAPI document's frame: info, the platform routes
// and the components every service fragment may reference.
//
//go:embed openapi.yaml
var openAPIBase []byte

// openAPIDocument merges the base document with the OpenAPI fragments of
// services: the document of exactly the routes a process serves.
func openAPIDocument(services []service) ([]byte, error) {
	fragments := map[string][]byte{}
	for _, s := range services {
		if s.openapi != nil {
			fragments[s.name] = s.openapi
		}
	}
	doc, err := httpapi.MergeOpenAPI(openAPIBase, fragments)
	if err != nil {
		return nil, fmt.Errorf("build the OpenAPI document: %w", err)
	}
	return doc, nil
}
