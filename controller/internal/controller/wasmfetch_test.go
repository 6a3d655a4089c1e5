package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
	"wasp.dev/controller/internal/wasmserver"
	"wasp.dev/controller/internal/wasmsource"
)

// loopbackAllowed opens loopback, where the test servers listen, which the
// default fetch policy refuses.
var loopbackAllowed = wasmsource.AddressPolicy{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// TestWasmFetchesInBackground: the first ask reads Pending and starts the
// fetch; its end triggers a reconcile; the next ask reads the module, which
// the wasm server serves and the cache's in-use set protects. A filter that
// goes away releases its module.
func TestWasmFetchesInBackground(t *testing.T) {
	module, err := os.ReadFile(filepath.Join("..", "wasmserver", "dist", "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // the fetch is in flight until the test lets it finish
		w.Write(module)
	}))
	defer files.Close()
	cache, err := wasmsource.OpenCache(wasmsource.CacheOptions{Dir: t.TempDir(), MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	fetcher, err := wasmsource.New(wasmsource.Options{Cache: cache, Attempts: 1, Addresses: loopbackAllowed})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wasmserver.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	inUse := NewModuleSet()
	w := newWasmFetches(&WasmOptions{Fetcher: fetcher, Server: srv, BaseURL: "http://ctl:8082", InUse: inUse}, nil, logr.Discard())
	sum := sha(module)
	wf := &waspv1alpha1.WasmFilter{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "f"}, Spec: waspv1alpha1.WasmFilterSpec{
		Source: waspv1alpha1.WasmSource{HTTP: &waspv1alpha1.HTTPSource{URL: files.URL + "/f.wasm", SHA256: waspv1alpha1.SHA256(sum)}},
	}}
	got := w.fetches(context.Background(), []*waspv1alpha1.WasmFilter{wf})["ns/f"]
	if got.Reason != waspv1alpha1.ReasonPending || !strings.Contains(got.Message, files.URL) {
		t.Fatalf("first ask: %+v, want Pending naming the source", got)
	}
	close(release)
	select {
	case <-w.trigger:
	case <-time.After(30 * time.Second):
		t.Fatal("no reconcile triggered after the fetch")
	}
	got = w.fetches(context.Background(), []*waspv1alpha1.WasmFilter{wf})["ns/f"]
	if got.Reason != "" || got.SHA256 != sum || got.URL != "http://ctl:8082/wasm/"+sum+".wasm" {
		t.Fatalf("after the fetch: %+v", got)
	}
	if !srv.HasCustom(sum) || !inUse.Has(sum) {
		t.Fatalf("module served %v, in use %v; want both", srv.HasCustom(sum), inUse.Has(sum))
	}
	w.fetches(context.Background(), nil)
	if srv.HasCustom(sum) || inUse.Has(sum) {
		t.Fatalf("with no filter left, the module is still served (%v) or in use (%v)", srv.HasCustom(sum), inUse.Has(sum))
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestWasmFetchKeepsPreviousModuleDuringUpdate: a filter whose source
// changes keeps its previous module while the new one is fetched, then
// switches to the new sha256.
func TestWasmFetchKeepsPreviousModuleDuringUpdate(t *testing.T) {
	v1, err := os.ReadFile(filepath.Join("..", "wasmserver", "dist", "hello.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := os.ReadFile(filepath.Join("..", "wasmserver", "dist", "counter.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2.wasm" {
			<-release
			w.Write(v2)
			return
		}
		w.Write(v1)
	}))
	defer files.Close()
	cache, err := wasmsource.OpenCache(wasmsource.CacheOptions{Dir: t.TempDir(), MaxBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	fetcher, err := wasmsource.New(wasmsource.Options{Cache: cache, Attempts: 1, Addresses: loopbackAllowed})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := wasmserver.Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w := newWasmFetches(&WasmOptions{Fetcher: fetcher, Server: srv, BaseURL: "http://ctl"}, nil, logr.Discard())
	filter := func(path string, code []byte) []*waspv1alpha1.WasmFilter {
		return []*waspv1alpha1.WasmFilter{{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "f"}, Spec: waspv1alpha1.WasmFilterSpec{
			Source: waspv1alpha1.WasmSource{HTTP: &waspv1alpha1.HTTPSource{URL: files.URL + path, SHA256: waspv1alpha1.SHA256(sha(code))}},
		}}}
	}
	ask := func(wfs []*waspv1alpha1.WasmFilter) string {
		return w.fetches(context.Background(), wfs)["ns/f"].SHA256
	}
	wait := func() {
		select {
		case <-w.trigger:
		case <-time.After(30 * time.Second):
			t.Fatal("no reconcile triggered after the fetch")
		}
	}
	ask(filter("/v1.wasm", v1))
	wait()
	if got := ask(filter("/v1.wasm", v1)); got != sha(v1) {
		t.Fatalf("v1: %q", got)
	}
	if got := ask(filter("/v2.wasm", v2)); got != sha(v1) {
		t.Fatalf("while v2 is fetched: %q, want v1's sha256 (no Pending gap)", got)
	}
	close(release)
	wait()
	if got := ask(filter("/v2.wasm", v2)); got != sha(v2) {
		t.Fatalf("after v2 is fetched: %q, want v2's sha256", got)
	}
	if srv.HasCustom(sha(v1)) {
		t.Error("v1 is still served after the switch")
	}
}
