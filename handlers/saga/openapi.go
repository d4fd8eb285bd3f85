package saga

import _ "embed"

// OpenAPI describes this service's routes: an OpenAPI 3 fragment (paths and
// component schemas) that the HTTP edge merges into /openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
