package envtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	waspv1alpha1 "wasp.dev/controller/api/wasp/v1alpha1"
	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/controller/internal/wasmserver"
	"wasp.dev/controller/internal/wasmsource"
	"wasp.dev/xds/ir"
)

// The suite's module fetcher and wasm server (wasmOptions); the server
// listens on loopback so tests fetch what proxies would.
var (
	wasmServer *wasmserver.Server
	wasmHTTP   *httptest.Server
)

// wasmOptions is the controller's WasmFilter setup for the suite: a cache
// in a temporary directory, quick retries, the wasm server on loopback.
func wasmOptions() *controller.WasmOptions {
	dir, err := os.MkdirTemp("", "wasp-envtest-wasm-")
	if err != nil {
		panic(err)
	}
	inUse := controller.NewModuleSet()
	cache, err := wasmsource.OpenCache(wasmsource.CacheOptions{Dir: filepath.Join(dir, "cache"), MaxBytes: 64 << 20, InUse: inUse.Has})
	if err != nil {
		panic(err)
	}
	fetcher, err := wasmsource.New(wasmsource.Options{Cache: cache, Attempts: 2, InitialBackoff: 10 * time.Millisecond, AttemptTimeout: 10 * time.Second,
		MaxModuleBytes: maxTestModule,
		// The test servers are on loopback, which the default policy
		// refuses: opt in, as an operator would for an in-cluster server.
		Addresses: wasmsource.AddressPolicy{AllowedCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	if err != nil {
		panic(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "builtin"), 0o755); err != nil {
		panic(err)
	}
	wasmServer, err = wasmserver.Load(filepath.Join(dir, "builtin"))
	if err != nil {
		panic(err)
	}
	wasmHTTP = httptest.NewServer(wasmServer)
	return &controller.WasmOptions{Fetcher: fetcher, Server: wasmServer, BaseURL: wasmHTTP.URL, InUse: inUse,
		RetryFailed: time.Hour} // failures stay put while the test looks
}

// maxTestModule admits the hello filter (2.3 MiB) and refuses the access
// log filter (4.6 MiB): the TooLarge case.
const maxTestModule = 3 << 20

// realModule is a compiled Go proxy-wasm filter (the hello example that
// the wasm server embeds): what a user ships.
func realModule(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "wasmserver", "dist", "hello.wasm"))
	if err != nil {
		t.Fatalf("the hello filter's .wasm (make wasm builds it): %v", err)
	}
	return b
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pushWasmArtifact serves module from an in-process OCI registry as the
// artifact `oras push` makes, and returns its reference by digest.
func pushWasmArtifact(t *testing.T, module []byte) string {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	host := strings.TrimPrefix(reg.URL, "http://")
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, wasmsource.MediaTypeWasmConfig)
	img, err := mutate.Append(img, mutate.Addendum{Layer: static.NewLayer(module, wasmsource.MediaTypeWasmLayer)})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(host + "/filters/hello:v1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return host + "/filters/hello@" + d.String()
}

// TestWasmFilters applies WasmFilters from an OCI registry and an HTTP
// server, good and bad, and checks status, the published IR (which the
// recorder has translated to valid Envoy config) and the served bytes.
func TestWasmFilters(t *testing.T) {
	ctx := context.Background()
	const ns = "wasmtest"
	module := realModule(t)
	sum := hexSum(module)
	notWasm := []byte("this is not a wasm module\n")
	big, err := os.ReadFile(filepath.Join("..", "..", "internal", "wasmserver", "dist", "builtin.wasm"))
	if err != nil || len(big) <= maxTestModule {
		t.Fatalf("builtin.wasm as the too-large module: %d bytes, %v", len(big), err)
	}
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // nothing listens there any more: unreachable
	files := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hello.wasm":
			w.Write(module)
		case "/junk.wasm":
			w.Write(notWasm)
		case "/big.wasm":
			w.Write(big)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(files.Close)
	image := pushWasmArtifact(t, module)

	rule := func(n, path string) gwv1.HTTPRouteRule {
		return gwv1.HTTPRouteRule{
			Name:        ptr(gwv1.SectionName(n)),
			Matches:     []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchPathPrefix), Value: ptr(path)}}},
			BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{Name: "app", Port: ptr(gwv1.PortNumber(80))}}}},
		}
	}
	route := func(n string, rules ...gwv1.HTTPRouteRule) *gwv1.HTTPRoute {
		return &gwv1.HTTPRoute{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: ns}, Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "gw"}}},
			Rules:           rules,
		}}
	}
	ruleTarget := func(routeName, ruleName string) []waspv1alpha1.WasmFilterTargetReference {
		ref := waspv1alpha1.WasmFilterTargetReference{Group: gwv1.GroupName, Kind: "HTTPRoute", Name: gwv1.ObjectName(routeName)}
		if ruleName != "" {
			ref.SectionName = ptr(gwv1.SectionName(ruleName))
		}
		return []waspv1alpha1.WasmFilterTargetReference{ref}
	}
	httpSource := func(path, sha string) waspv1alpha1.WasmSource {
		return waspv1alpha1.WasmSource{HTTP: &waspv1alpha1.HTTPSource{URL: files.URL + path, SHA256: waspv1alpha1.SHA256(sha)}}
	}
	filter := func(n string, targets []waspv1alpha1.WasmFilterTargetReference, src waspv1alpha1.WasmSource, fp waspv1alpha1.FailurePolicy) *waspv1alpha1.WasmFilter {
		return &waspv1alpha1.WasmFilter{ObjectMeta: metav1.ObjectMeta{Name: n, Namespace: ns}, Spec: waspv1alpha1.WasmFilterSpec{
			TargetRefs: targets, Source: src, FailurePolicy: fp,
		}}
	}
	pin := waspv1alpha1.SHA256(sum)
	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		&gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "wasmtest"}, Spec: gwv1.GatewayClassSpec{ControllerName: gwv1.GatewayController(translate.DefaultControllerName)}},
		&gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: ns}, Spec: gwv1.GatewaySpec{
			GatewayClassName: "wasmtest", Listeners: []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80}},
		}},
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns}, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}},
		route("r", rule("ok", "/ok"), rule("digest", "/digest"), rule("notwasm", "/notwasm"), rule("open", "/open")),
		route("other", rule("any", "/other")),
		&v1alpha1.TrafficPolicy{ObjectMeta: metav1.ObjectMeta{Name: "r-limit", Namespace: ns}, Spec: v1alpha1.TrafficPolicySpec{
			TargetRefs: []v1alpha1.LocalPolicyTargetReferenceWithSectionName{routeRef("r")}, RateLimit: bucket(3, "60s"),
		}},
		filter("oci", ruleTarget("r", "ok"), waspv1alpha1.WasmSource{Image: &waspv1alpha1.ImageSource{Reference: image, SHA256: &pin}}, ""),
		filter("http", ruleTarget("other", ""), httpSource("/hello.wasm", sum), waspv1alpha1.FailClosed),
		filter("digest", ruleTarget("r", "digest"), httpSource("/hello.wasm", strings.Repeat("0", 64)), waspv1alpha1.FailClosed),
		filter("notwasm", ruleTarget("r", "notwasm"), httpSource("/junk.wasm", hexSum(notWasm)), waspv1alpha1.FailClosed),
		filter("open", ruleTarget("r", "open"), httpSource("/junk.wasm", hexSum(notWasm)), waspv1alpha1.FailOpen),
		filter("toolarge", ruleTarget("r", "open"), httpSource("/big.wasm", hexSum(big)), waspv1alpha1.FailOpen),
		filter("unreachable", ruleTarget("r", "open"), waspv1alpha1.WasmSource{HTTP: &waspv1alpha1.HTTPSource{
			URL: dead.URL + "/hello.wasm", SHA256: waspv1alpha1.SHA256(sum)}}, waspv1alpha1.FailOpen),
		filter("metadata", ruleTarget("r", "open"), waspv1alpha1.WasmSource{HTTP: &waspv1alpha1.HTTPSource{
			URL: "http://169.254.169.254/latest/meta-data/iam/hello.wasm", SHA256: waspv1alpha1.SHA256(sum)}}, waspv1alpha1.FailOpen),
	}
	for _, o := range objs {
		if err := createOrMerge(ctx, o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}

	// Status: Accepted, and Fetched with the fetcher's reason.
	want := map[string]struct {
		status metav1.ConditionStatus
		reason string
	}{
		"oci": {metav1.ConditionTrue, waspv1alpha1.ReasonFetched}, "http": {metav1.ConditionTrue, waspv1alpha1.ReasonFetched},
		"digest": {metav1.ConditionFalse, waspv1alpha1.ReasonDigestMismatch}, "notwasm": {metav1.ConditionFalse, waspv1alpha1.ReasonInvalidModule},
		"open": {metav1.ConditionFalse, waspv1alpha1.ReasonInvalidModule}, "toolarge": {metav1.ConditionFalse, waspv1alpha1.ReasonTooLarge},
		"unreachable": {metav1.ConditionFalse, waspv1alpha1.ReasonFetchFailed},
		"metadata":    {metav1.ConditionFalse, waspv1alpha1.ReasonFetchRefused},
	}
	for n, w := range want {
		eventually(t, "WasmFilter "+n+" status", func() error {
			var wf waspv1alpha1.WasmFilter
			if err := get(t, ns, n, &wf); err != nil {
				return err
			}
			if err := condition(wf.Status.Conditions, waspv1alpha1.ConditionAccepted, metav1.ConditionTrue, waspv1alpha1.ReasonAccepted); err != nil {
				return err
			}
			if err := condition(wf.Status.Conditions, waspv1alpha1.ConditionFetched, w.status, w.reason); err != nil {
				return err
			}
			if wf.Status.ObservedGeneration != wf.Generation {
				return fmt.Errorf("observedGeneration %d, generation %d", wf.Status.ObservedGeneration, wf.Generation)
			}
			if ok := w.status == metav1.ConditionTrue; ok != (wf.Status.SHA256 == sum) {
				return fmt.Errorf("status.sha256 %q", wf.Status.SHA256)
			}
			return nil
		})
	}
	var digest waspv1alpha1.WasmFilter
	if err := get(t, ns, "digest", &digest); err != nil {
		t.Fatal(err)
	}
	if c := findCondition(digest.Status.Conditions, waspv1alpha1.ConditionFetched); !strings.Contains(c.Message, "want "+strings.Repeat("0", 64)) || !strings.Contains(c.Message, "FailClosed") {
		t.Errorf("digest mismatch message does not name the pin and the policy: %q", c.Message)
	}

	var unreachable waspv1alpha1.WasmFilter
	if err := get(t, ns, "unreachable", &unreachable); err != nil {
		t.Fatal(err)
	}
	if c := findCondition(unreachable.Status.Conditions, waspv1alpha1.ConditionFetched); !strings.Contains(c.Message, "after 2 attempts") {
		t.Errorf("unreachable source: the message does not say it retried: %q", c.Message)
	}

	var metadata waspv1alpha1.WasmFilter
	if err := get(t, ns, "metadata", &metadata); err != nil {
		t.Fatal(err)
	}
	if c := findCondition(metadata.Status.Conditions, waspv1alpha1.ConditionFetched); !strings.Contains(c.Message, "address 169.254.169.254 is link-local (the cloud metadata endpoint); allowed only by --wasm-fetch-allowed-cidrs") {
		t.Errorf("metadata endpoint: the message does not say why it was refused: %q", c.Message)
	}

	// The IR: each filter on exactly its routes, by sha256; failures as
	// their policy says; the rate limit everywhere on route r.
	oci, httpName := translate.WasmFilterName(ns, "oci"), translate.WasmFilterName(ns, "http")
	eventually(t, "IR carries the WasmFilters", func() error {
		in, err := pub.snapshot()
		if err != nil {
			return err
		}
		p := findProxy(in, ns+"/gw")
		if p == nil {
			return fmt.Errorf("no proxy %s/gw", ns)
		}
		routes := map[string]*ir.Route{}
		for _, l := range p.Listeners {
			for _, vh := range l.VirtualHosts {
				for _, r := range vh.Routes {
					routes[r.Match.Path.Value] = r
				}
			}
		}
		check := func(path string, enabled []string, direct bool) error {
			r := routes[path]
			if r == nil {
				return fmt.Errorf("no route %s", path)
			}
			var custom []string
			for k := range r.Wasm {
				if strings.HasPrefix(k, "wasmfilter/") {
					custom = append(custom, k)
				}
			}
			if fmt.Sprint(custom) != fmt.Sprint(enabled) {
				return fmt.Errorf("route %s: custom filters %v, want %v", path, custom, enabled)
			}
			if got := r.DirectResponse != nil && r.DirectResponse.Status == 500; got != direct {
				return fmt.Errorf("route %s: direct 500 = %v, want %v (%+v)", path, got, direct, r.DirectResponse)
			}
			if strings.HasPrefix(path, "/other") == (r.Wasm[ir.FilterRateLimit] != "") {
				return fmt.Errorf("route %s: rate limit %q", path, r.Wasm[ir.FilterRateLimit])
			}
			return nil
		}
		for _, c := range []struct {
			path    string
			enabled []string
			direct  bool
		}{
			{"/ok", []string{oci}, false},
			{"/other", []string{httpName}, false},
			{"/digest", nil, true},  // FailClosed: 500, rate limit kept
			{"/notwasm", nil, true}, // FailClosed
			{"/open", nil, false},   // FailOpen: skipped, forwarded, rate limit kept
		} {
			if err := check(c.path, c.enabled, c.direct); err != nil {
				return err
			}
		}
		for _, name := range []string{oci, httpName} {
			m := findModule(p, name)
			if m == nil || m.SHA256 != sum || m.URL != wasmHTTP.URL+wasmserver.PathPrefix+sum+".wasm" {
				return fmt.Errorf("module %s: %+v", name, m)
			}
		}
		if len(p.WasmModules) != 3 { // ratelimit, oci, http
			return fmt.Errorf("modules %d, want 3 (no module for failed filters)", len(p.WasmModules))
		}
		return nil
	})

	// The wasm server serves the verified bytes at the URL in the IR.
	resp, err := http.Get(wasmHTTP.URL + wasmserver.PathPrefix + sum + ".wasm")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || hexSum(body) != sum {
		t.Fatalf("wasm server: %d, %d bytes, sha256 %s, want %s", resp.StatusCode, len(body), hexSum(body), sum)
	}
	if wasmServer.HasCustom(hexSum(notWasm)) {
		t.Error("the wasm server serves a module that failed validation")
	}
}

func findCondition(cs []metav1.Condition, typ string) metav1.Condition {
	for _, c := range cs {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

func findProxy(in *ir.IR, name string) *ir.Proxy {
	if in == nil {
		return nil
	}
	for _, p := range in.Proxies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func findModule(p *ir.Proxy, name string) *ir.WasmModule {
	for _, m := range p.WasmModules {
		if m.Name == name {
			return m
		}
	}
	return nil
}
