package httpapi

import (
	"net/http"
)

// ProblemMux serves through mux, but answers the requests mux would answer
// with its plain-text 404 and 405 with problem+json instead (NotFound and
// MethodNotAllowed, the latter with the Allow header mux computed). Redirects
// (trailing slash, unclean paths) are left to mux. It also records the
// matched pattern for AccessLog and Metrics, which otherwise cannot see it
// through middleware that copies the request.
func ProblemMux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern == "" {
			// No route: h is mux's NotFound handler, its 405 handler or a
			// redirect to the cleaned path. Which one is only visible in
			// what it writes, so run it against a throwaway writer; all
			// three are free of side effects.
			probe := &probeWriter{header: http.Header{}}
			h.ServeHTTP(probe, r)
			switch probe.status {
			case http.StatusNotFound:
				NotFound(w, r)
				return
			case http.StatusMethodNotAllowed:
				w.Header().Set("Allow", probe.header.Get("Allow"))
				MethodNotAllowed(w, r)
				return
			}
		}
		recordRoute(r, pattern)
		mux.ServeHTTP(w, r)
	})
}

// probeWriter records the status of a response and discards the rest.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }

func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}

func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
