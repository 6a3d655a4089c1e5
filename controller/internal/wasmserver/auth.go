package wasmserver

import (
	"net/http"
	"path"
	"strings"
	"sync"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/proxyauth"
)

// Authentication of the module server (docs/security.md): served over TLS
// with client certificates required and verified against wasp's CA (the
// same tls.Config as the xDS server), a request is answered only when the
// certificate names a proxy whose configuration names the module. So no
// one without a proxy certificate gets code, and a proxy gets only the
// code of its own configuration.

// Access says which modules (by sha256) each proxy (by node ID) may fetch.
type Access struct {
	mu      sync.RWMutex
	modules map[string]map[string]bool
}

// NewAccess returns an Access that allows nothing.
func NewAccess() *Access { return &Access{modules: map[string]map[string]bool{}} }

// Update allows every module of in's proxies, on top of what was allowed,
// and returns commit, which then drops what in no longer names. Call
// commit once in is published: a proxy may fetch a module as soon as its
// new configuration names it, and until the configuration that stops
// naming it is out.
func (a *Access) Update(in *ir.IR) (commit func()) {
	next := map[string]map[string]bool{}
	for _, p := range in.Proxies {
		for _, m := range p.WasmModules {
			if m.SHA256 == "" {
				continue
			}
			if next[p.Name] == nil {
				next[p.Name] = map[string]bool{}
			}
			next[p.Name][m.SHA256] = true
		}
	}
	a.mu.Lock()
	union := map[string]map[string]bool{}
	for _, src := range []map[string]map[string]bool{a.modules, next} {
		for node, sums := range src {
			if union[node] == nil {
				union[node] = map[string]bool{}
			}
			for s := range sums {
				union[node][s] = true
			}
		}
	}
	a.modules = union
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		a.modules = next
		a.mu.Unlock()
	}
}

// Allowed says whether node may fetch the module with this sha256.
func (a *Access) Allowed(node, sum string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.modules[node][sum]
}

// RequireProxy answers only requests of a verified proxy certificate for
// a module of that proxy's configuration: 401 without one, 403 for a
// module another proxy's configuration names (or none does).
func RequireProxy(h http.Handler, a *Access) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		node, err := proxyauth.NodeFromTLS(r.TLS)
		if err != nil {
			http.Error(w, "a wasp proxy certificate is required", http.StatusUnauthorized)
			return
		}
		sum := strings.TrimSuffix(path.Base(r.URL.Path), ".wasm")
		if !a.Allowed(node, sum) {
			http.Error(w, "module not in this proxy's configuration", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
