package v1alpha1

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// The API server is started by the first test that needs it and stopped
// after all tests, so TestCRDUpToDate runs without the envtest assets.
var (
	apiOnce sync.Once
	apiEnv  *envtest.Environment
	apiK8s  client.Client
	apiErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if apiEnv != nil {
		_ = apiEnv.Stop()
	}
	os.Exit(code)
}

// apiServer returns a client of a real kube-apiserver with the WasmFilter
// CRD installed: the OpenAPI and CEL rules are checked by the API server
// that enforces them in a cluster.
func apiServer(t *testing.T) client.Client {
	t.Helper()
	apiOnce.Do(func() {
		if os.Getenv("KUBEBUILDER_ASSETS") == "" {
			apiErr = fmt.Errorf("KUBEBUILDER_ASSETS is not set: build the assets with `make envtest-assets` and run\n" +
				"  KUBEBUILDER_ASSETS=$(make -s print-kubebuilder-assets) go test ./api/wasp/...\nor run `make test-controller`")
			return
		}
		apiEnv = &envtest.Environment{CRDDirectoryPaths: []string{crdFile}, ErrorIfCRDPathMissing: true}
		cfg, err := apiEnv.Start()
		if err != nil {
			apiErr, apiEnv = fmt.Errorf("envtest: %w", err), nil
			return
		}
		s := runtime.NewScheme()
		if err := AddToScheme(s); err != nil {
			apiErr = err
			return
		}
		apiK8s, apiErr = client.New(cfg, client.Options{Scheme: s})
	})
	if apiErr != nil {
		t.Fatal(apiErr)
	}
	return apiK8s
}

const sum = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func validFilter(name string) *WasmFilter {
	return &WasmFilter{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: WasmFilterSpec{
			TargetRefs: []WasmFilterTargetReference{{Group: gwv1.GroupName, Kind: "HTTPRoute", Name: "shop"}},
			Source:     WasmSource{Image: &ImageSource{Reference: "registry.example.com/filters/demo@sha256:" + sum}},
		},
	}
}

func TestAdmissionAcceptsAndDefaults(t *testing.T) {
	k8s := apiServer(t)
	ctx := context.Background()
	listener := gwv1.SectionName("http")
	f := validFilter("full")
	f.Spec.TargetRefs = append(f.Spec.TargetRefs,
		WasmFilterTargetReference{Group: gwv1.GroupName, Kind: "Gateway", Name: "waypoint", SectionName: &listener},
		WasmFilterTargetReference{Group: gwv1.GroupName, Kind: "Gateway", Name: "waypoint"},
		WasmFilterTargetReference{Group: "", Kind: "Service", Name: "reviews"},
	)
	f.Spec.Source.Image.PullSecrets = []SecretReference{{Name: "regcred"}}
	f.Spec.Source.Image.SHA256 = ptr(SHA256(sum))
	f.Spec.RootID = "demo"
	f.Spec.Config = &apiextensionsv1.JSON{Raw: []byte(`{"header":"x-user","nested":{"list":[1,"two",null]}}`)}
	f.Spec.Order = &FilterOrder{Placement: PlacementBefore, RelativeTo: BuiltinRateLimit, Priority: 10}
	f.Spec.Env = map[string]EnvValue{"LOG_LEVEL": "debug", "_X1": ""}
	if err := k8s.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	var got WasmFilter
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(f), &got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.FailurePolicy != FailClosed {
		t.Errorf("failurePolicy defaulted to %q, want FailClosed", got.Spec.FailurePolicy)
	}
	if string(got.Spec.Config.Raw) != `{"header":"x-user","nested":{"list":[1,"two",null]}}` {
		t.Errorf("config not preserved: %s", got.Spec.Config.Raw)
	}

	// Config may be any JSON value, not only an object.
	for i, raw := range []string{`"plain string"`, `[1,2]`, `42`} {
		g := validFilter(fmt.Sprintf("config-%d", i))
		g.Spec.Config = &apiextensionsv1.JSON{Raw: []byte(raw)}
		if err := k8s.Create(ctx, g); err != nil {
			t.Errorf("config %s: %v", raw, err)
		}
	}
	for i, src := range []WasmSource{
		{HTTP: &HTTPSource{URL: "https://filters.example.com/demo.wasm", SHA256: sum}},
		{ConfigMap: &ConfigMapSource{Name: "demo", Key: "demo.wasm"}},
	} {
		g := validFilter(fmt.Sprintf("source-%d", i))
		g.Spec.Source = src
		g.Spec.FailurePolicy = FailOpen
		if err := k8s.Create(ctx, g); err != nil {
			t.Errorf("source %d: %v", i, err)
		}
	}
}

func TestAdmissionRejects(t *testing.T) {
	k8s := apiServer(t)
	cases := []struct {
		name   string
		mutate func(*WasmFilter)
		want   string
	}{
		{"no source", func(f *WasmFilter) { f.Spec.Source = WasmSource{} }, "exactly one of image, http, configMap"},
		{"two sources", func(f *WasmFilter) {
			f.Spec.Source.ConfigMap = &ConfigMapSource{Name: "demo", Key: "demo.wasm"}
		}, "exactly one of image, http, configMap"},
		{"http without sha256", func(f *WasmFilter) {
			f.Spec.Source = WasmSource{HTTP: &HTTPSource{URL: "https://x.example.com/f.wasm"}}
		}, "spec.source.http.sha256"},
		{"http short sha256", func(f *WasmFilter) {
			f.Spec.Source = WasmSource{HTTP: &HTTPSource{URL: "https://x.example.com/f.wasm", SHA256: "abc"}}
		}, "spec.source.http.sha256"},
		{"http upper-case sha256", func(f *WasmFilter) {
			f.Spec.Source = WasmSource{HTTP: &HTTPSource{URL: "https://x.example.com/f.wasm", SHA256: SHA256(strings.ToUpper(sum))}}
		}, "spec.source.http.sha256"},
		{"ftp url", func(f *WasmFilter) {
			f.Spec.Source = WasmSource{HTTP: &HTTPSource{URL: "ftp://x.example.com/f.wasm", SHA256: sum}}
		}, "spec.source.http.url"},
		{"image sha256 not hex", func(f *WasmFilter) { f.Spec.Source.Image.SHA256 = ptr(SHA256(strings.Repeat("z", 64))) }, "spec.source.image.sha256"},
		{"no targets", func(f *WasmFilter) { f.Spec.TargetRefs = nil }, "spec.targetRefs"},
		{"target kind", func(f *WasmFilter) {
			f.Spec.TargetRefs = []WasmFilterTargetReference{{Group: gwv1.GroupName, Kind: "GRPCRoute", Name: "x"}}
		}, "may only reference a Gateway or HTTPRoute"},
		{"service in the wrong group", func(f *WasmFilter) {
			f.Spec.TargetRefs = []WasmFilterTargetReference{{Group: gwv1.GroupName, Kind: "Service", Name: "x"}}
		}, "may only reference a Gateway or HTTPRoute"},
		{"duplicate targets", func(f *WasmFilter) {
			f.Spec.TargetRefs = append(f.Spec.TargetRefs, f.Spec.TargetRefs[0])
		}, "targetRefs must be unique"},
		{"failure policy", func(f *WasmFilter) { f.Spec.FailurePolicy = "FailSometimes" }, "spec.failurePolicy"},
		{"order relative to", func(f *WasmFilter) {
			f.Spec.Order = &FilterOrder{Placement: PlacementAfter, RelativeTo: "AccessLog"}
		}, "spec.order.relativeTo"},
		{"order placement", func(f *WasmFilter) {
			f.Spec.Order = &FilterOrder{Placement: "Instead", RelativeTo: BuiltinTransform}
		}, "spec.order.placement"},
		{"priority bound", func(f *WasmFilter) {
			f.Spec.Order = &FilterOrder{Placement: PlacementAfter, RelativeTo: BuiltinTransform, Priority: 5000}
		}, "spec.order.priority"},
		{"env name", func(f *WasmFilter) { f.Spec.Env = map[string]EnvValue{"1BAD": "x"} }, "env names are letters"},
		{"env value size", func(f *WasmFilter) { f.Spec.Env = map[string]EnvValue{"BIG": EnvValue(strings.Repeat("x", 4097))} }, "spec.env.BIG"},
		{"env count", func(f *WasmFilter) {
			f.Spec.Env = map[string]EnvValue{}
			for i := range 33 {
				f.Spec.Env[fmt.Sprintf("V%d", i)] = "x"
			}
		}, "spec.env"},
		{"configmap key", func(f *WasmFilter) {
			f.Spec.Source = WasmSource{ConfigMap: &ConfigMapSource{Name: "demo", Key: "a/b"}}
		}, "spec.source.configMap.key"},
		{"image reference with space", func(f *WasmFilter) { f.Spec.Source.Image.Reference = "a b" }, "no spaces"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := validFilter(fmt.Sprintf("bad-%d", i))
			tc.mutate(f)
			err := k8s.Create(context.Background(), f)
			if err == nil {
				t.Fatalf("admitted; want an error mentioning %q", tc.want)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
