package wasmserver

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/proxyauth"
)

const testHost = "wasp-controller.wasp-system.svc"

// TestModuleServerAuthentication: over TLS with wasp's CA, only a proxy
// whose configuration names a module gets it.
func TestModuleServerAuthentication(t *testing.T) {
	dir := t.TempDir()
	code := []byte("\x00asm\x01\x00\x00\x00auth")
	os.WriteFile(filepath.Join(dir, "ratelimit.wasm"), code, 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(code)
	hash := hex.EncodeToString(sum[:])
	custom, _ := s.AddCustom("https://"+testHost, []byte("\x00asm\x01\x00\x00\x00other"))

	ca, err := proxyauth.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	access := NewAccess()
	commit := access.Update(&ir.IR{Proxies: []*ir.Proxy{
		{Name: "team-a/http", WasmModules: []*ir.WasmModule{{Name: "ratelimit", SHA256: hash}}},
		{Name: "team-b/http", WasmModules: []*ir.WasmModule{{Name: "custom", SHA256: custom}}},
	}})
	commit()
	srv := httptest.NewUnstartedServer(RequireProxy(s, access))
	srv.TLS = ca.Serving([]string{testHost}).TLS()
	srv.StartTLS()
	defer srv.Close()

	client := func(c *tls.Config) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: c}}
	}
	proxy := func(node string) *tls.Config {
		leaf, err := ca.IssueProxy(node, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c, err := proxyauth.ClientTLS(ca.CertPEM, leaf, testHost)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	foreign, _ := proxyauth.NewCA(time.Now())
	foreignLeaf, _ := foreign.IssueProxy("team-a/http", time.Now())
	forged, err := proxyauth.ClientTLS(ca.CertPEM, foreignLeaf, testHost)
	if err != nil {
		t.Fatal(err)
	}
	noCert := proxy("team-a/http")
	noCert.Certificates = nil

	url := srv.URL + PathPrefix + hash + ".wasm"
	for _, tc := range []struct {
		name string
		c    *http.Client
		url  string
		want int // 0: the TLS handshake fails
	}{
		{"plaintext", http.DefaultClient, "http" + url[len("https"):], 0},
		{"no client certificate", client(noCert), url, 0},
		{"certificate of another CA", client(forged), url, 0},
		{"another proxy's certificate", client(proxy("team-b/http")), url, http.StatusForbidden},
		{"a module of another proxy", client(proxy("team-a/http")), srv.URL + PathPrefix + custom + ".wasm", http.StatusForbidden},
		{"the right proxy", client(proxy("team-a/http")), url, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.c.Get(tc.url)
			if tc.want == 0 {
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK && string(b) == string(code) {
						t.Fatal("got the module")
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("HTTP %d %q, want %d", resp.StatusCode, b, tc.want)
			}
			if tc.want == http.StatusOK && string(b) != string(code) {
				t.Fatalf("body %q", b)
			}
			if tc.want != http.StatusOK && string(b) == string(code) {
				t.Fatal("the refusal carries the module")
			}
		})
	}

	// Without TLS at all (a misconfigured listener) nothing is served.
	w := httptest.NewRecorder()
	RequireProxy(s, access).ServeHTTP(w, httptest.NewRequest(http.MethodGet, PathPrefix+hash+".wasm", nil))
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("plaintext request: %d, want 401", w.Code)
	}
}

// TestAccessUpdate: a module stays allowed until the configuration that
// drops it is committed, then is refused.
func TestAccessUpdate(t *testing.T) {
	a := NewAccess()
	a.Update(&ir.IR{Proxies: []*ir.Proxy{{Name: "ns/gw", WasmModules: []*ir.WasmModule{{SHA256: "old"}}}}})()
	commit := a.Update(&ir.IR{Proxies: []*ir.Proxy{{Name: "ns/gw", WasmModules: []*ir.WasmModule{{SHA256: "new"}}}}})
	if !a.Allowed("ns/gw", "old") || !a.Allowed("ns/gw", "new") {
		t.Fatal("before commit both the old and the new module must be allowed")
	}
	commit()
	if a.Allowed("ns/gw", "old") || !a.Allowed("ns/gw", "new") || a.Allowed("other/gw", "new") {
		t.Fatal("after commit only the new module, for its own proxy")
	}
}
