package wasmsource

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func TestFetchOCIArtifact(t *testing.T) {
	reg := newTestRegistry(t, "", "")
	module := proxyModule().bytes()
	ref := reg.push(t, "filters/demo", wasmArtifact(t, module))
	f, _ := newTestFetcher(t, Options{})

	m, err := f.Fetch(context.Background(), Source{Image: &ImageSource{Reference: ref}, SHA256: sha(module)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Code, module) || m.SHA256 != sha(module) || m.FromCache {
		t.Fatalf("got %+v", m)
	}
	onDisk, ok := f.opts.Cache.Read(m.SHA256)
	if !ok || !bytes.Equal(onDisk, module) {
		t.Fatal("module not in the cache")
	}

	// Istio's oci:// prefix is accepted.
	if m3, err := f.Fetch(context.Background(), Source{Image: &ImageSource{Reference: "oci://" + ref}}); err != nil || m3.SHA256 != m.SHA256 {
		t.Fatalf("oci:// reference: %+v, %v", m3, err)
	}
	// By tag, without a pin, works too (resolved once per cache).
	tagRef := reg.host() + "/filters/demo:v1"
	m2, err := f.Fetch(context.Background(), Source{Image: &ImageSource{Reference: tagRef}})
	if err != nil || m2.SHA256 != m.SHA256 {
		t.Fatalf("by tag: %+v, %v", m2, err)
	}
}

func TestFetchOCICompatImage(t *testing.T) {
	reg := newTestRegistry(t, "", "")
	module := proxyModule().bytes()
	ref := reg.push(t, "filters/compat", compatImage(t, module))
	f, _ := newTestFetcher(t, Options{})

	m, err := f.Fetch(context.Background(), Source{Image: &ImageSource{Reference: ref}})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Code, module) {
		t.Fatal("wrong bytes from the compat image")
	}
}

func TestFetchOCICompatLastLayer(t *testing.T) {
	reg := newTestRegistry(t, "", "")
	module := proxyModule().bytes()
	// A base layer, then the layer with plugin.wasm: Istio reads the last.
	base := compatImage(t, []byte("not the module"))
	top, _ := compatImage(t, module).Layers()
	img, err := mutate.AppendLayers(base, top[0])
	if err != nil {
		t.Fatal(err)
	}
	f, _ := newTestFetcher(t, Options{})
	m, err := f.Fetch(context.Background(), Source{Image: &ImageSource{Reference: reg.push(t, "filters/layered", img)}})
	if err != nil || !bytes.Equal(m.Code, module) {
		t.Fatalf("%+v %v", m, err)
	}
}

func TestFetchOCINotAWasmImage(t *testing.T) {
	reg := newTestRegistry(t, "", "")
	// An application image: its last layer holds no plugin.wasm.
	appLayer, err := tarLayer(map[string][]byte{"bin/app": []byte("\x7fELF")})
	if err != nil {
		t.Fatal(err)
	}
	app, err := mutate.AppendLayers(empty.Image, appLayer)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := newTestFetcher(t, Options{})
	for _, img := range []v1.Image{app, empty.Image} {
		ref := reg.push(t, "filters/app", img)
		e := wantReason(t, fetchErr(f, Source{Image: &ImageSource{Reference: ref}}), ReasonFetchFailed)
		if e.Attempts != 1 || !strings.Contains(e.Error(), "not a Wasm image") {
			t.Fatalf("want one attempt and a clear message, got %v", e)
		}
	}
}

func TestFetchHTTP(t *testing.T) {
	fs := newFileServer(t)
	module := proxyModule().bytes()
	url := fs.put("/demo.wasm", module)
	f, _ := newTestFetcher(t, Options{})

	m, err := f.Fetch(context.Background(), Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(module)})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Code, module) || m.FromCache {
		t.Fatalf("got %+v", m)
	}
}

func TestFetchConfigMap(t *testing.T) {
	f, _ := newTestFetcher(t, Options{})
	module := proxyModule().bytes()
	src := Source{ConfigMap: &ConfigMapSource{Namespace: "ns", Name: "demo", Key: "demo.wasm", Data: module}}
	m, err := f.Fetch(context.Background(), src)
	if err != nil || m.SHA256 != sha(module) {
		t.Fatalf("%+v %v", m, err)
	}
	// New content under the same key is a new module.
	other := proxyModule()
	other.padding = 10
	src.ConfigMap.Data = other.bytes()
	m2, err := f.Fetch(context.Background(), src)
	if err != nil || m2.SHA256 != sha(other.bytes()) || m2.FromCache {
		t.Fatalf("changed ConfigMap: %+v %v", m2, err)
	}
	src.ConfigMap.Data = []byte("not wasm")
	wantReason(t, fetchErr(f, src), ReasonInvalidModule)
}

func TestCacheHitWithoutNetwork(t *testing.T) {
	reg := newTestRegistry(t, "", "")
	fs := newFileServer(t)
	module := proxyModule().bytes()
	imageSrc := Source{Image: &ImageSource{Reference: reg.push(t, "filters/demo", wasmArtifact(t, module))}}
	httpSrc := Source{HTTP: &HTTPSource{URL: fs.put("/demo.wasm", module)}, SHA256: sha(module)}
	cache, err := OpenCache(CacheOptions{Dir: t.TempDir(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := newTestFetcher(t, Options{Cache: cache})
	for _, src := range []Source{imageSrc, httpSrc} {
		if _, err := f.Fetch(context.Background(), src); err != nil {
			t.Fatal(err)
		}
	}
	reg.srv.Close()
	fs.srv.Close()
	regBefore, httpBefore := reg.requests.Load(), fs.requests.Load()

	// A new Fetcher on the same directory: the hit survives a restart.
	reopened, err := OpenCache(CacheOptions{Dir: cache.Dir(), MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	f2, _ := newTestFetcher(t, Options{Cache: reopened})
	for _, src := range []Source{imageSrc, httpSrc} {
		m, err := f2.Fetch(context.Background(), src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if !m.FromCache || !bytes.Equal(m.Code, module) {
			t.Fatalf("%s: not served from the cache: %+v", src, m)
		}
	}
	if reg.requests.Load() != regBefore || fs.requests.Load() != httpBefore {
		t.Fatal("a cache hit went to the network")
	}
}

func TestSourceChangeRefetches(t *testing.T) {
	fs := newFileServer(t)
	v1 := proxyModule().bytes()
	v2m := proxyModule()
	v2m.padding = 8
	v2 := v2m.bytes()
	f, _ := newTestFetcher(t, Options{})

	url := fs.put("/demo.wasm", v1)
	if _, err := f.Fetch(context.Background(), Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(v1)}); err != nil {
		t.Fatal(err)
	}
	// Same URL, new content and pin: fetched again, not the cached v1.
	fs.put("/demo.wasm", v2)
	before := fs.requests.Load()
	m, err := f.Fetch(context.Background(), Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(v2)})
	if err != nil || m.FromCache || m.SHA256 != sha(v2) || fs.requests.Load() != before+1 {
		t.Fatalf("new pin: %+v %v", m, err)
	}
	// Another URL serving the same bytes: fetched (new identity), stored once.
	url2 := fs.put("/v2/demo.wasm", v2)
	m, err = f.Fetch(context.Background(), Source{HTTP: &HTTPSource{URL: url2}, SHA256: sha(v2)})
	if err != nil || m.FromCache || fs.requests.Load() != before+2 {
		t.Fatalf("new url: %+v %v", m, err)
	}
	if got, want := f.opts.Cache.Size(), int64(len(v1)+len(v2)); got != want {
		t.Fatalf("cache holds %d bytes, want %d (content-addressed)", got, want)
	}
}

func TestFetchUnreachableRetriesThenFails(t *testing.T) {
	// A port nothing listens on: connection refused at every attempt.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	module := proxyModule().bytes()

	f, sleeps := newTestFetcher(t, Options{Attempts: 4, InitialBackoff: 100 * time.Millisecond, MaxBackoff: 250 * time.Millisecond})
	for _, src := range []Source{
		{HTTP: &HTTPSource{URL: "http://" + addr + "/demo.wasm"}, SHA256: sha(module)},
		{Image: &ImageSource{Reference: addr + "/filters/demo:v1"}},
	} {
		sleeps.waits = nil
		e := wantReason(t, fetchErr(f, src), ReasonFetchFailed)
		if e.Attempts != 4 {
			t.Errorf("%s: %d attempts, want 4", src, e.Attempts)
		}
		// Exponential, capped: 100ms, 200ms, then 250ms (not 400ms).
		want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
		if !slices.Equal(sleeps.waits, want) {
			t.Errorf("%s: waits %v, want %v", src, sleeps.waits, want)
		}
	}
}

func TestFetchRetriesServerErrorsNotClientErrors(t *testing.T) {
	fs := newFileServer(t)
	module := proxyModule().bytes()
	url := fs.put("/demo.wasm", module)
	f, _ := newTestFetcher(t, Options{Attempts: 3})

	fs.status = http.StatusServiceUnavailable
	e := wantReason(t, fetchErr(f, Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(module)}), ReasonFetchFailed)
	if e.Attempts != 3 || fs.requests.Load() != 3 {
		t.Fatalf("503: %d attempts, %d requests, want 3", e.Attempts, fs.requests.Load())
	}
	fs.status = http.StatusNotFound
	e = wantReason(t, fetchErr(f, Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(module)}), ReasonFetchFailed)
	if e.Attempts != 1 || fs.requests.Load() != 4 {
		t.Fatalf("404 is permanent: %d attempts, %d requests", e.Attempts, fs.requests.Load())
	}
	// The server recovers: the next Fetch succeeds (failures are not cached).
	fs.status = 0
	if _, err := f.Fetch(context.Background(), Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(module)}); err != nil {
		t.Fatal(err)
	}
}

func TestFetchDigestMismatch(t *testing.T) {
	fs := newFileServer(t)
	reg := newTestRegistry(t, "", "")
	module := proxyModule().bytes()
	wrong := strings.Repeat("ab", 32)
	f, _ := newTestFetcher(t, Options{})

	for _, src := range []Source{
		{HTTP: &HTTPSource{URL: fs.put("/demo.wasm", module)}, SHA256: wrong},
		{Image: &ImageSource{Reference: reg.push(t, "filters/demo", wasmArtifact(t, module))}, SHA256: wrong},
	} {
		e := wantReason(t, fetchErr(f, src), ReasonDigestMismatch)
		if !strings.Contains(e.Error(), sha(module)) {
			t.Errorf("the message should name the actual sha256: %v", e)
		}
		if f.opts.Cache.Size() != 0 {
			t.Fatal("a mismatching module was cached")
		}
	}
}

func TestFetchInvalidModule(t *testing.T) {
	fs := newFileServer(t)
	reg := newTestRegistry(t, "", "")
	notWasm := []byte("<html><body>login page</body></html>")
	noABI := proxyModule()
	noABI.abiExport = ""
	f, _ := newTestFetcher(t, Options{})

	cases := map[string]Source{
		"http not wasm":  {HTTP: &HTTPSource{URL: fs.put("/page.wasm", notWasm)}, SHA256: sha(notWasm)},
		"http no ABI":    {HTTP: &HTTPSource{URL: fs.put("/noabi.wasm", noABI.bytes())}, SHA256: sha(noABI.bytes())},
		"image not wasm": {Image: &ImageSource{Reference: reg.push(t, "filters/page", wasmArtifact(t, notWasm))}},
		"image no ABI":   {Image: &ImageSource{Reference: reg.push(t, "filters/noabi", wasmArtifact(t, noABI.bytes()))}},
	}
	for name, src := range cases {
		e := wantReason(t, fetchErr(f, src), ReasonInvalidModule)
		if strings.Contains(name, "no ABI") && !strings.Contains(e.Error(), "proxy_abi_version") {
			t.Errorf("%s: message should name the missing export: %v", name, e)
		}
	}
	if f.opts.Cache.Size() != 0 {
		t.Fatal("an invalid module was cached")
	}
}

func TestFetchTooLarge(t *testing.T) {
	fs := newFileServer(t)
	reg := newTestRegistry(t, "", "")
	big := proxyModule()
	big.padding = 2048
	module := big.bytes()
	const limit = 1024
	f, _ := newTestFetcher(t, Options{MaxModuleBytes: limit})

	url := fs.put("/big.wasm", module)
	src := Source{HTTP: &HTTPSource{URL: url}, SHA256: sha(module)}
	e := wantReason(t, fetchErr(f, src), ReasonTooLarge)
	if e.Attempts != 1 {
		t.Errorf("too large is permanent, got %d attempts", e.Attempts)
	}
	// Without Content-Length, the read stops at the limit.
	fs.chunked = true
	wantReason(t, fetchErr(f, src), ReasonTooLarge)

	for _, img := range []Source{
		{Image: &ImageSource{Reference: reg.push(t, "filters/big", wasmArtifact(t, module))}},
		{Image: &ImageSource{Reference: reg.push(t, "filters/bigcompat", compatImage(t, module))}},
		{ConfigMap: &ConfigMapSource{Namespace: "ns", Name: "big", Key: "big.wasm", Data: module}},
	} {
		wantReason(t, fetchErr(f, img), ReasonTooLarge)
	}
}

func TestFetchPullSecret(t *testing.T) {
	reg := newTestRegistry(t, "robot", "s3cret")
	module := proxyModule().bytes()
	ref := reg.push(t, "private/demo", wasmArtifact(t, module))
	f, _ := newTestFetcher(t, Options{})

	// No secret: 401, which retrying cannot fix.
	e := wantReason(t, fetchErr(f, Source{Image: &ImageSource{Reference: ref}}), ReasonFetchFailed)
	if e.Attempts != 1 || !strings.Contains(e.Error(), "UNAUTHORIZED") {
		t.Fatalf("want one attempt failing as unauthorized, got %v", e)
	}
	// A wrong secret for the host, then a right one: the right one is used.
	secrets := [][]byte{
		dockerConfigJSON("other.example.com", "robot", "s3cret"),
		dockerConfigJSON(reg.host(), "robot", "s3cret"),
	}
	m, err := f.Fetch(context.Background(), Source{Image: &ImageSource{Reference: ref, PullSecrets: secrets}})
	if err != nil || !bytes.Equal(m.Code, module) {
		t.Fatalf("with pull secret: %+v %v", m, err)
	}
	// A bad password is FetchFailed, not a hang or a panic.
	reg2 := newTestRegistry(t, "robot", "s3cret")
	ref2 := reg2.push(t, "private/demo", wasmArtifact(t, module))
	wantReason(t, fetchErr(f, Source{Image: &ImageSource{Reference: ref2, PullSecrets: [][]byte{dockerConfigJSON(reg2.host(), "robot", "nope")}}}), ReasonFetchFailed)
}

func TestFetchRejectsBadSources(t *testing.T) {
	f, _ := newTestFetcher(t, Options{})
	module := proxyModule().bytes()
	for name, src := range map[string]Source{
		"none":          {},
		"two":           {HTTP: &HTTPSource{URL: "http://x/y"}, ConfigMap: &ConfigMapSource{Data: module}, SHA256: sha(module)},
		"http no sha":   {HTTP: &HTTPSource{URL: "http://x/y"}},
		"bad sha":       {HTTP: &HTTPSource{URL: "http://x/y"}, SHA256: "ABC"},
		"ftp":           {HTTP: &HTTPSource{URL: "ftp://x/y"}, SHA256: sha(module)},
		"bad reference": {Image: &ImageSource{Reference: "UPPER/Case:tag"}},
		"bad secret":    {Image: &ImageSource{Reference: "127.0.0.1:1/a:b", PullSecrets: [][]byte{[]byte("{")}}},
	} {
		e := wantReason(t, fetchErr(f, src), ReasonFetchFailed)
		if e.Attempts > 1 {
			t.Errorf("%s: retried a malformed source (%d attempts)", name, e.Attempts)
		}
	}
}

func TestConcurrentFetchesShareOneDownload(t *testing.T) {
	fs := newFileServer(t)
	module := proxyModule().bytes()
	src := Source{HTTP: &HTTPSource{URL: fs.put("/demo.wasm", module)}, SHA256: sha(module)}
	f, _ := newTestFetcher(t, Options{})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := f.Fetch(context.Background(), src)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Each Fetch either downloaded, joined the download, or hit the cache.
	if n := fs.requests.Load(); n != 1 {
		t.Fatalf("%d downloads, want 1", n)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@host/x.wasm?sig=abc": "https://…@host/x.wasm?…",
		"https://host/x.wasm":                 "https://host/x.wasm",
		"https://host":                        "https://host",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func fetchErr(f *Fetcher, src Source) error {
	_, err := f.Fetch(context.Background(), src)
	return err
}
