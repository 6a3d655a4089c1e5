// Package wasmserver serves the built-in filters' .wasm files to the
// proxies over HTTP, by content hash: Envoy fetches a Wasm module's code
// from a RemoteDataSource and caches it by sha256 (facts.md "Remote code"),
// so the URL names the hash and the content never changes under a URL.
package wasmserver

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"wasp.dev/xds/ir"
)

//go:embed dist
var embedded embed.FS

// PathPrefix is the URL path under which modules are served.
const PathPrefix = "/wasm/"

// Module is one .wasm file.
type Module struct {
	Name   string // filter name, the file's base name without .wasm
	SHA256 string
	code   []byte
}

// Server holds the modules in memory and serves them: the built-in filters
// loaded once, and users' modules (WasmFilters) added and dropped as the
// controller fetches them.
type Server struct {
	byHash map[string]*Module
	byName map[string]*Module

	mu sync.RWMutex
	// custom are users' modules by sha256 (wasmcustom.go).
	custom map[string][]byte
}

// Load reads every *.wasm of dir, or of the embedded dist directory when
// dir is empty.
func Load(dir string) (*Server, error) {
	var fsys fs.FS
	if dir == "" {
		sub, err := fs.Sub(embedded, "dist")
		if err != nil {
			return nil, err
		}
		fsys = sub
	} else {
		fsys = os.DirFS(dir)
	}
	names, err := fs.Glob(fsys, "*.wasm")
	if err != nil {
		return nil, err
	}
	s := &Server{byHash: map[string]*Module{}, byName: map[string]*Module{}}
	for _, n := range names {
		code, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(code)
		m := &Module{Name: strings.TrimSuffix(n, ".wasm"), SHA256: hex.EncodeToString(sum[:]), code: code}
		s.byHash[m.SHA256] = m
		s.byName[m.Name] = m
	}
	return s, nil
}

// Modules returns the loaded modules by name.
func (s *Server) Modules() []*Module {
	out := make([]*Module, 0, len(s.byName))
	for _, m := range s.byName {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// IRModules returns, per filter name, the IR module pointing proxies at
// this server (baseURL like "http://wasp-controller.wasp-system.svc:8082").
func (s *Server) IRModules(baseURL string) map[string]ir.WasmModule {
	out := map[string]ir.WasmModule{}
	for _, m := range s.byName {
		out[m.Name] = ir.WasmModule{
			Name:   m.Name,
			URL:    strings.TrimSuffix(baseURL, "/") + PathPrefix + m.SHA256 + ".wasm",
			SHA256: m.SHA256,
		}
	}
	return out
}

// ServeHTTP answers GET /wasm/<sha256>.wasm.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := path.Base(r.URL.Path)
	if !strings.HasPrefix(r.URL.Path, PathPrefix) || !strings.HasSuffix(name, ".wasm") {
		http.NotFound(w, r)
		return
	}
	sum := strings.TrimSuffix(name, ".wasm")
	var code []byte
	if m := s.byHash[sum]; m != nil {
		code = m.code
	} else if c, ok := s.customCode(sum); ok {
		code = c
	} else {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/wasm")
	w.Header().Set("Content-Length", fmt.Sprint(len(code)))
	// Content-addressed: the bytes under this URL never change.
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if r.Method == http.MethodGet {
		w.Write(code)
	}
}
