package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
)

// Mux is the API's request router. Its patterns are http.ServeMux's
// "METHOD /path/{name}" (a method is required; no host, no trailing-slash
// subtree, no {name...}), and like ServeMux it matches the escaped path one
// segment at a time, sets r.PathValue, serves HEAD with a GET route and
// redirects an unclean path (//, /./, /../) with 307 to its clean form.
//
// Unlike ServeMux it accepts patterns that overlap without one being more
// specific, such as the book's GET /api/stores/{id}/products and GET
// /api/stores/products/{id}: the first literal segment wins, left to right.
// So every route is registered as written, and Mux alone knows which
// methods a path has: a path that no route has is a 404, a path that routes
// have for other methods is a 405 with Allow listing them, both written as
// problem+json.
//
// Route middleware given to NewMux wraps every route's handler: it runs only
// for requests that matched a route, after the path values are set, so a
// request for a path that does not exist never reaches it. Mux records the
// matched pattern for AccessLog and Metrics.
type Mux struct {
	middleware []func(http.Handler) http.Handler
	routes     map[int][]*route // by number of segments
}

type route struct {
	method   string
	pattern  string
	segments []segment
	handler  http.Handler
}

// segment is a literal path segment, or a wildcard named by name.
type segment struct {
	literal string
	name    string
}

// NewMux returns a Mux whose routes are wrapped in the route middleware,
// the first one outermost.
func NewMux(middleware ...func(http.Handler) http.Handler) *Mux {
	return &Mux{middleware: middleware, routes: map[int][]*route{}}
}

// HandleFunc registers handler for pattern. Like http.ServeMux.HandleFunc it
// panics on a malformed pattern or one registered before (the same method
// and path shape): both are programming errors found at startup.
func (m *Mux) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	rt, err := parsePattern(pattern)
	if err != nil {
		panic(fmt.Sprintf("httpapi: pattern %q: %v", pattern, err))
	}
	for _, other := range m.routes[len(rt.segments)] {
		if other.method == rt.method && sameShape(other.segments, rt.segments) {
			panic(fmt.Sprintf("httpapi: pattern %q is already registered as %q", pattern, other.pattern))
		}
	}
	rt.handler = Chain(http.HandlerFunc(handler), m.middleware...)
	m.routes[len(rt.segments)] = append(m.routes[len(rt.segments)], rt)
}

func parsePattern(pattern string) (*route, error) {
	method, p, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || strings.ContainsAny(method, "/{}") {
		return nil, fmt.Errorf("want METHOD /path")
	}
	p = strings.TrimLeft(p, " ")
	if !strings.HasPrefix(p, "/") || (len(p) > 1 && strings.HasSuffix(p, "/")) {
		return nil, fmt.Errorf("the path must start with / and not end with one")
	}
	rt := &route{method: method, pattern: pattern}
	names := map[string]bool{}
	for _, s := range strings.Split(p[1:], "/") {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			name, ok = strings.CutSuffix(name, "}")
			if !ok || name == "" || strings.ContainsAny(name, "{}.") || names[name] {
				return nil, fmt.Errorf("bad or repeated wildcard %q", s)
			}
			names[name] = true
			rt.segments = append(rt.segments, segment{name: name})
			continue
		}
		if s == "" || strings.ContainsAny(s, "{}") {
			return nil, fmt.Errorf("bad segment %q", s)
		}
		rt.segments = append(rt.segments, segment{literal: s})
	}
	return rt, nil
}

// sameShape reports whether a and b match exactly the same paths.
func sameShape(a, b []segment) bool {
	return slices.EqualFunc(a, b, func(x, y segment) bool {
		return (x.name == "") == (y.name == "") && x.literal == y.literal
	})
}

// moreSpecific reports whether a wins over b for a path both match: at the
// first segment where one is literal and the other a wildcard, the literal.
func moreSpecific(a, b []segment) bool {
	for i := range a {
		if (a[i].name == "") != (b[i].name == "") {
			return a[i].name == ""
		}
	}
	return false
}

func (rt *route) matches(segs []string) bool {
	for i, s := range rt.segments {
		if s.name == "" && s.literal != segs[i] || s.name != "" && segs[i] == "" {
			return false
		}
	}
	return true
}

// ServeHTTP routes r: to the most specific route for its method and path,
// else a 307 to the clean path, a 405 or a 404 problem.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	escaped := r.URL.EscapedPath()
	if !strings.HasPrefix(escaped, "/") {
		NotFound(w, r)
		return
	}
	if clean := cleanPath(escaped); clean != escaped {
		target := clean
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusTemporaryRedirect)
		return
	}
	segs := strings.Split(escaped[1:], "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			WriteError(w, r, NewProblem(http.StatusBadRequest, "the request path is not a valid percent-encoded path"))
			return
		}
		segs[i] = u
	}

	var best *route
	allowed := map[string]bool{}
	for _, rt := range m.routes[len(segs)] {
		if !rt.matches(segs) {
			continue
		}
		allowed[rt.method] = true
		if rt.method == http.MethodGet {
			allowed[http.MethodHead] = true
		}
		if !servesMethod(rt.method, r.Method) {
			continue
		}
		switch {
		case best == nil, moreSpecific(rt.segments, best.segments):
			best = rt
		case sameShape(rt.segments, best.segments) && rt.method == r.Method:
			best = rt // HEAD registered for itself beats the GET route's
		}
	}
	if best == nil {
		if len(allowed) == 0 {
			NotFound(w, r)
			return
		}
		methods := make([]string, 0, len(allowed))
		for method := range allowed {
			methods = append(methods, method)
		}
		slices.Sort(methods)
		MethodNotAllowed(w, r, methods...)
		return
	}
	for i, s := range best.segments {
		if s.name != "" {
			r.SetPathValue(s.name, segs[i])
		}
	}
	r.Pattern = best.pattern
	recordRoute(r, best.pattern)
	best.handler.ServeHTTP(w, r)
}

func servesMethod(routeMethod, method string) bool {
	return routeMethod == method || routeMethod == http.MethodGet && method == http.MethodHead
}

// cleanPath is http.ServeMux's: path.Clean, keeping a trailing slash.
func cleanPath(p string) string {
	np := path.Clean(p)
	if strings.HasSuffix(p, "/") && np != "/" {
		np += "/"
	}
	return np
}
