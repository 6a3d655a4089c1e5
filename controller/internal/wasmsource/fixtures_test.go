package wasmsource

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// testRegistry is go-containerregistry's in-process registry on loopback,
// optionally behind HTTP basic auth, counting the requests it serves.
type testRegistry struct {
	srv      *httptest.Server
	requests atomic.Int64
	user     string
	pass     string
}

func newTestRegistry(t *testing.T, user, pass string) *testRegistry {
	t.Helper()
	r := &testRegistry{user: user, pass: pass}
	reg := registry.New(registry.Logger(discardLogger()))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		if r.user != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != r.user || p != r.pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// host is the registry's host:port (127.0.0.1, which go-containerregistry
// talks to over plain HTTP).
func (r *testRegistry) host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// push writes img under repo:tag and returns the reference by digest.
func (r *testRegistry) push(t *testing.T, repo string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(r.host() + "/" + repo + ":v1")
	if err != nil {
		t.Fatal(err)
	}
	opts := []remote.Option{}
	if r.user != "" {
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: r.user, Password: r.pass}))
	}
	if err := remote.Write(ref, img, opts...); err != nil {
		t.Fatalf("push: %v", err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return r.host() + "/" + repo + "@" + d.String()
}

// wasmArtifact is the image `oras push` makes from a module: a Wasm config
// blob and one layer of the Wasm layer media type.
func wasmArtifact(t *testing.T, module []byte) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, MediaTypeWasmConfig)
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(module, MediaTypeWasmLayer)})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// compatImage is Istio's compat Wasm image: one gzip tar layer holding
// plugin.wasm (and, here, another file to skip).
func compatImage(t *testing.T, module []byte) v1.Image {
	t.Helper()
	layer, err := tarLayer(map[string][]byte{"README": []byte("a filter"), "./plugin.wasm": module})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// tarLayer is a gzip tar layer of the files, in name order.
func tarLayer(files map[string][]byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(buf.Bytes())), nil
	})
}

// fileServer serves fixed bodies by path over httptest and counts requests.
type fileServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	files    map[string][]byte
	status   int  // when non-zero, every request gets this status
	chunked  bool // omit Content-Length
	requests atomic.Int64
}

func newFileServer(t *testing.T) *fileServer {
	t.Helper()
	fs := &fileServer{files: map[string][]byte{}}
	fs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.requests.Add(1)
		fs.mu.Lock()
		body, ok := fs.files[r.URL.Path]
		status, chunked := fs.status, fs.chunked
		fs.mu.Unlock()
		switch {
		case status != 0:
			w.WriteHeader(status)
		case !ok:
			http.NotFound(w, r)
		case chunked:
			w.(http.Flusher).Flush() // headers out before the body: no Content-Length
			_, _ = w.Write(body)
		default:
			_, _ = w.Write(body)
		}
	}))
	t.Cleanup(fs.srv.Close)
	return fs
}

func (fs *fileServer) put(path string, body []byte) string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.files[path] = body
	return fs.srv.URL + path
}

// loopbackCIDRs opens loopback, where the fixture servers listen.
var loopbackCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// newTestFetcher has a fresh cache and fast, recorded backoff.
type recordedSleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func newTestFetcher(t *testing.T, opts Options) (*Fetcher, *recordedSleeps) {
	t.Helper()
	if opts.Cache == nil {
		c, err := OpenCache(CacheOptions{Dir: t.TempDir(), MaxBytes: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		opts.Cache = c
	}
	if opts.Attempts == 0 {
		opts.Attempts = 3
	}
	if opts.Addresses.AllowedCIDRs == nil {
		// Every fixture server is on loopback, which the default policy
		// refuses: the tests opt in as an operator would.
		opts.Addresses.AllowedCIDRs = loopbackCIDRs
	}
	if opts.InitialBackoff == 0 {
		opts.InitialBackoff = 100 * time.Millisecond
		opts.MaxBackoff = 150 * time.Millisecond
	}
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recordedSleeps{}
	// Record the waits instead of sleeping: the schedule is asserted, and
	// the tests stay fast.
	f.sleep = func(ctx context.Context, d time.Duration) error {
		rec.mu.Lock()
		rec.waits = append(rec.waits, d)
		rec.mu.Unlock()
		return ctx.Err()
	}
	return f, rec
}

func sha(b []byte) string { return hashHex(b) }

func dockerConfigJSON(host, user, pass string) []byte {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	return []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, host, auth))
}

// wantReason asserts err is an *Error with the reason.
func wantReason(t *testing.T, err error, want Reason) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", want)
	}
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("want *Error, got %T: %v", err, err)
	}
	if e.Reason != want || ReasonOf(err) != want {
		t.Fatalf("want reason %s, got %s: %v", want, e.Reason, err)
	}
	return e
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
