package admission

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

var (
	trafficPolicy      = schema.GroupVersionKind{Group: "gateway.kgateway.dev", Version: "v1alpha1", Kind: "TrafficPolicy"}
	httpListenerPolicy = schema.GroupVersionKind{Group: "gateway.kgateway.dev", Version: "v1alpha1", Kind: "HTTPListenerPolicy"}
	wasmFilter         = schema.GroupVersionKind{Group: "wasp.dev", Version: "v1alpha1", Kind: "WasmFilter"}
)

func obj(t *testing.T, y string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func tokenBucket(fill string) string {
	return `
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: p, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  rateLimit: {local: {tokenBucket: {maxTokens: 10, fillInterval: ` + fill + `}}}
`
}

func fileSink(path, format string) string {
	return `
apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {name: p, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  accessLog: [{fileSink: {path: "` + path + `", stringFormat: "` + format + `"}}]
`
}

func headers(n, size int) string {
	var b strings.Builder
	b.WriteString(`
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: p, namespace: default}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  transformation:
    request:
      set:
`)
	for i := range n {
		b.WriteString("      - {name: x-h" + string(rune('a'+i)) + ", value: " + strings.Repeat("v", size) + "}\n")
	}
	return b.String()
}

// TestValidate runs the CRDs' OpenAPI and CEL rules offline: what the API
// server accepts passes, what it rejects fails naming the field.
func TestValidate(t *testing.T) {
	v, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, gvk := range []schema.GroupVersionKind{trafficPolicy, httpListenerPolicy, wasmFilter} {
		if !v.Knows(gvk) {
			t.Fatalf("%s not compiled", gvk)
		}
	}
	for _, c := range []struct {
		name string
		gvk  schema.GroupVersionKind
		obj  string
		want string // "" accepts; else a substring of the error
	}{
		{"fill 60s", trafficPolicy, tokenBucket("60s"), ""},
		{"fill 24h", trafficPolicy, tokenBucket("24h"), ""},
		{"fill 45 years", trafficPolicy, tokenBucket("99999h99999h99999h99999h"), "must be at most 24h"},
		{"fill 10ms", trafficPolicy, tokenBucket("10ms"), "must be at least 50ms"},
		{"fill not a duration", trafficPolicy, tokenBucket("soon"), "invalid duration value"},
		{"4 headers of 4 KiB", trafficPolicy, headers(4, 4096), ""},
		{"5 headers of 4 KiB", trafficPolicy, headers(5, 4096), "the set and add values together must be at most 16384"},
		{"one header above 4 KiB", trafficPolicy, headers(1, 4097), "spec.transformation.request.set[0].value"},
		{"stdout", httpListenerPolicy, fileSink("/dev/stdout", "%RESPONSE_CODE%"), ""},
		{"stderr", httpListenerPolicy, fileSink("/dev/stderr", "%RESPONSE_CODE%"), ""},
		{"a file", httpListenerPolicy, fileSink("/var/log/wasp/a.log", "%RESPONSE_CODE%"), ""},
		{"/etc/passwd", httpListenerPolicy, fileSink("/etc/passwd", "x"), "spec.accessLog[0].fileSink.path"},
		{"/dev/sda", httpListenerPolicy, fileSink("/dev/sda", "x"), "outside /dev, /proc, /sys and /etc"},
		{"/proc", httpListenerPolicy, fileSink("/proc/self/mem", "x"), "outside /dev"},
		{"dot-dot", httpListenerPolicy, fileSink("/var/log/wasp/../../etc/x", "x"), "no '.' or '..' segments"},
		{"relative", httpListenerPolicy, fileSink("access.log", "x"), "clean absolute file path"},
		{"trailing slash", httpListenerPolicy, fileSink("/var/log/wasp/", "x"), "clean absolute file path"},
		{"format too long", httpListenerPolicy, fileSink("/dev/stdout", strings.Repeat("x", 8193)), "spec.accessLog[0].fileSink.stringFormat"},
		{"unknown type", trafficPolicy, strings.Replace(tokenBucket("1s"), "maxTokens: 10", "maxTokens: ten", 1), "spec.rateLimit.local.tokenBucket.maxTokens"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := v.Validate(c.gvk, obj(t, c.obj))
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.want != "" && err == nil:
				t.Fatalf("accepted; want an error with %q", c.want)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Fatalf("error %q lacks %q", err, c.want)
			}
		})
	}
}
