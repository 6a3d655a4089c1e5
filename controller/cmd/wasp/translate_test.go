package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wasp.dev/controller/internal/manifest"
)

const seeds = "../../../examples/seeds"

func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// TestTranslateSeeds is the acceptance check: translating the seed
// manifests prints Envoy config with the seeds' behaviour in it.
func TestTranslateSeeds(t *testing.T) {
	out, stderr, code := runCLI(t, "translate", "-f", seeds)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"timeout: 180s",            // HTTPRoute timeouts.request
		"weight: 90", "weight: 10", // GAMMA canary split
		"port_value: 15088", // the waypoint's PROXY listener
		"envoy.filters.listener.proxy_protocol",
		`"maxTokens":3,"tokensPerFill":3,"fillInterval":"1m0s"`, // the seed's bucket
		"%REQ(X-ENVOY-ORIGINAL-METHOD?:METHOD)%",                // the seed's access-log format
		"node: default/kgateway-waypoint",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestTranslateShowStatusJSON(t *testing.T) {
	out, stderr, code := runCLI(t, "translate", "-f", seeds, "--show", "status", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var st struct {
		Gateways []struct {
			Name   string `json:"name"`
			Status struct {
				Addresses []struct{ Type, Value string } `json:"addresses"`
			} `json:"status"`
		} `json:"gateways"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	found := false
	for _, g := range st.Gateways {
		if g.Name == "kgateway-waypoint" {
			found = len(g.Status.Addresses) == 1 && g.Status.Addresses[0].Value == "kgateway-waypoint.default.svc.cluster.local"
		}
	}
	if !found {
		t.Errorf("kgateway-waypoint status lacks its hostname address:\n%s", out)
	}
}

// TestTranslateAssumesConfiguredClasses translates one seed file alone: the
// class comes from --waypoint-class, as the chart would create it.
func TestTranslateAssumesConfiguredClasses(t *testing.T) {
	out, stderr, code := runCLI(t, "translate", "--show", "ir", "--waypoint-class", "kgateway-waypoint",
		"-f", filepath.Join(seeds, "waypoint-ollama", "10-waypoint.yaml"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "name: default/kgateway-waypoint") || !strings.Contains(out, "kind: waypoint") {
		t.Errorf("no waypoint proxy in:\n%s", out)
	}
}

func TestTranslateInvalidInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata:
  name: typo
spec:
  rateLimt: {}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: r}
spec:
  rules: [{backendRefs: [{name: x, port: "eighty"}]}]
`), 0o644)
	_, stderr, code := runCLI(t, "translate", "-f", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	for _, want := range []string{"bad.yaml: document 1", `TrafficPolicy "typo"`, "rateLimt", "document 2"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestTranslateUsageErrors(t *testing.T) {
	if _, _, code := runCLI(t, "translate"); code != 2 {
		t.Errorf("no -f: exit %d, want 2", code)
	}
	if _, _, code := runCLI(t, "translate", "-f", seeds, "--show", "nope"); code != 1 {
		t.Errorf("bad --show: exit %d, want 1", code)
	}
	if _, _, code := runCLI(t, "bogus"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
}

// TestSDSSubcommandWired: `wasp sds` parses its flags and refuses a
// non-loopback address (the response carries the private key).
func TestSDSSubcommandWired(t *testing.T) {
	_, stderr, code := runCLI(t, "sds", "--address", "0.0.0.0:8234", "--cert-dir", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "loopback") {
		t.Fatalf("exit %d, stderr %q; want 1 and a loopback error", code, stderr)
	}
}

// TestTranslateRedactsPrivateKeys: the seeds' gateway-tls Secret serves
// the HTTPS listener, and no output shows its private key, in any format:
// only its hash.
func TestTranslateRedactsPrivateKeys(t *testing.T) {
	res, err := manifest.LoadPaths(filepath.Join(seeds, "ingress-canary"))
	if err != nil {
		t.Fatal(err)
	}
	var key []byte
	for _, s := range res.Input.Secrets {
		if s.Name == "gateway-tls" {
			key = s.Data["tls.key"]
		}
	}
	block, _ := pem.Decode(key)
	if block == nil {
		t.Fatal("the seed's gateway-tls has no PEM key")
	}
	secretB64 := base64.StdEncoding.EncodeToString(block.Bytes)[:24]
	for _, args := range [][]string{{"--show", "all"}, {"--show", "all", "-o", "json"}, {"--show", "ir"}} {
		out, stderr, code := runCLI(t, append([]string{"translate", "-f", seeds}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		pemLine := strings.SplitN(string(key), "\n", 3)[1]
		for _, leak := range []string{"PRIVATE KEY", pemLine, secretB64, base64.StdEncoding.EncodeToString(key)[:24]} {
			if strings.Contains(out, leak) || strings.Contains(stderr, leak) {
				t.Errorf("%v: output contains key material %q", args, leak)
			}
		}
		if !strings.Contains(out, "redacted:sha256:") || !strings.Contains(out, "istio-system/gateway-tls") {
			t.Errorf("%v: no redacted certificate istio-system/gateway-tls in the output", args)
		}
	}
}

// TestTranslateAppliesAdmission: what the API server rejects at admission
// (the CRDs' OpenAPI schema and CEL rules), wasp translate rejects too,
// naming the object and the field; without it, these would translate.
func TestTranslateAppliesAdmission(t *testing.T) {
	for _, c := range []struct{ name, doc, want string }{
		{"fillInterval above 24h", `apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: forever}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: r}]
  rateLimit: {local: {tokenBucket: {maxTokens: 1, fillInterval: 99999h99999h99999h99999h}}}
`, `spec.rateLimit.local.tokenBucket.fillInterval: Invalid value: "99999h99999h99999h99999h": must be at most 24h`},
		{"access log to /etc/passwd", `apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {name: passwd}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  accessLog: [{fileSink: {path: /etc/passwd, stringFormat: x}}]
`, "spec.accessLog[0].fileSink.path"},
		{"WasmFilter env name", `apiVersion: wasp.dev/v1alpha1
kind: WasmFilter
metadata: {name: f}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]
  source: {http: {url: "https://example.com/f.wasm", sha256: "` + strings.Repeat("a", 64) + `"}}
  env: {"1bad": x}
`, "env names are letters"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "in.yaml")
			if err := os.WriteFile(f, []byte(c.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, stderr, code := runCLI(t, "translate", "-f", f, "--show", "status")
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
			}
			if !strings.Contains(stderr, "rejected at admission") || !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr lacks %q:\n%s", c.want, stderr)
			}
		})
	}
}

// TestControllerRefusesBadAccessLogDir: the directory becomes a mount path
// in every proxy pod and the prefix access-log paths are checked against.
func TestControllerRefusesBadAccessLogDir(t *testing.T) {
	for _, d := range []string{"var/log", "/var/log/../etc", "/"} {
		_, stderr, code := runCLI(t, "controller", "--access-log-dir", d)
		if code != 2 || !strings.Contains(stderr, "--access-log-dir") {
			t.Errorf("%q: exit %d, stderr %s", d, code, stderr)
		}
	}
}
