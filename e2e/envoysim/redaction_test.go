package envoysim

import (
	"slices"
	"strings"
	"testing"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// redactionCase: one route with the accesslog filter, whose entries are a
// text format, a JSON format (nested, in a list too), and a text format
// that opts authorization out of redaction.
const redactionCase = `
name: default/gw
kind: ingress
listeners:
- name: default/gw/http
  port: 8080
  virtualHosts:
  - name: default/gw/http/*
    hostnames: ["*"]
    routes:
    - name: httproute/default/app/rule/0/match/0
      match: {path: {type: PathPrefix, value: /app}}
      backends: [{backend: "default/app:80", weight: 1}]
backends:
- name: default/app:80
  endpoints: [{address: 10.0.1.1, port: 8080}]
wasmModules:
- name: builtin
  url: http://wasp-controller.wasp-system.svc:8082/wasm/builtin.wasm
wasmFilters:
- name: accesslog
  module: builtin
  rootID: accesslog
  default: default/logs
  policies:
    default/logs:
      accessLog:
      - fileSink:
          path: /dev/stdout
          stringFormat: "auth=%REQ(AUTHORIZATION)% cookie=%REQ(COOKIE)% pa=%REQ(PROXY-AUTHORIZATION):3% alt=%REQ(X-NONE?COOKIE)% sc=%RESP(SET-COOKIE)% ua=%REQ(USER-AGENT)% m=%REQ(:METHOD)%"
      - fileSink:
          path: /dev/stderr
          jsonFormat: {auth: "%REQ(AUTHORIZATION)%", mixed: "c=%REQ(COOKIE)%;", ua: "%REQ(USER-AGENT)%", nested: {l: ["%REQ(PROXY-AUTHORIZATION)%", "%REQ(:METHOD)%"]}}
      - fileSink:
          path: /dev/stdout
          stringFormat: "opted-in auth=%REQ(AUTHORIZATION)% cookie=%REQ(COOKIE)%"
        unredactedHeaders: [authorization]
`

// TestRedactionParity: the same entries print the same lines whether the
// Wasm access-log filter rendered them (in wazero) or Envoy's native
// fallback logger did (the translator's rewritten format, rendered as
// Envoy renders it), with the credentials present and absent. The second
// proxy is the same configuration without the Wasm filter in its
// connection manager: every request is one the filter never saw (as a
// codec error or a VM that failed open would be), so only the fallback
// loggers print.
func TestRedactionParity(t *testing.T) {
	srv, sums := codeServer(t)
	var in ir.Proxy
	if err := yaml.UnmarshalStrict([]byte(redactionCase), &in); err != nil {
		t.Fatal(err)
	}
	in.WasmModules[0].SHA256 = sums["builtin"]
	p := newProxy(t, translate(t, &in, translator.Options{}), srv)
	withoutFilter := newProxy(t, withoutWasmFilters(t, translate(t, &in, translator.Options{})), srv)

	credentials := [][2]string{{"Authorization", "Bearer s3cret"}, {"Cookie", "session=c00kie"},
		{"Proxy-Authorization", "Basic cHJveHk="}, {"User-Agent", "curl/8"}}
	for name, headers := range map[string][][2]string{"with credentials": credentials, "without": {{"User-Agent", "curl/8"}}} {
		t.Run(name, func(t *testing.T) {
			filter := do(t, p, Request{ListenerPort: 8080, Path: "/app/x", Authority: "gw", Headers: headers})
			native := do(t, withoutFilter, Request{ListenerPort: 8080, Path: "/app/x", Authority: "gw", Headers: headers})
			if len(filter.Plugins) != 1 || len(native.Plugins) != 0 {
				t.Fatalf("filters %v and %v, want the access-log filter, then none", filter.Plugins, native.Plugins)
			}
			fl, nl := logLines(filter), logLines(native)
			if len(fl) != 3 || len(nl) != 3 {
				t.Fatalf("want 3 lines each way\n filter %q\n native %q", fl, nl)
			}
			for i := range fl {
				if fl[i] != nl[i] {
					t.Errorf("entry %d differs:\n filter %q\n native %q", i, fl[i], nl[i])
				}
			}
			want := []string{
				"/dev/stdout auth=[REDACTED] cookie=[REDACTED] pa=[REDACTED] alt=[REDACTED] sc=[REDACTED] ua=curl/8 m=GET",
				`/dev/stderr {"auth":"[REDACTED]","mixed":"c=[REDACTED];","nested":{"l":["[REDACTED]","GET"]},"ua":"curl/8"}`,
				"/dev/stdout opted-in auth=Bearer s3cret cookie=[REDACTED]",
			}
			if name == "without" {
				want[2] = "/dev/stdout opted-in auth=- cookie=[REDACTED]"
			}
			for i := range want {
				if fl[i] != want[i] {
					t.Errorf("entry %d:\n got %q\nwant %q", i, fl[i], want[i])
				}
			}
			for _, secret := range []string{"c00kie", "cHJveHk="} {
				if strings.Contains(strings.Join(append(fl, nl...), "\n"), secret) {
					t.Errorf("a redacted credential (%s) is in the lines", secret)
				}
			}
		})
	}
}

// withoutWasmFilters removes the Wasm HTTP filters from every connection
// manager of res.
func withoutWasmFilters(t *testing.T, res *Resources) *Resources {
	t.Helper()
	for _, l := range res.Listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetTypedConfig().GetTypeUrl() != hcmTypeURL {
					continue
				}
				var hcm hcmv3.HttpConnectionManager
				if err := f.GetTypedConfig().UnmarshalTo(&hcm); err != nil {
					t.Fatal(err)
				}
				hcm.HttpFilters = slices.DeleteFunc(hcm.HttpFilters, func(hf *hcmv3.HttpFilter) bool {
					return hf.GetTypedConfig().GetTypeUrl() == wasmTypeURL
				})
				a, err := anypb.New(&hcm)
				if err != nil {
					t.Fatal(err)
				}
				f.ConfigType = &listenerv3.Filter_TypedConfig{TypedConfig: a}
			}
		}
	}
	return res
}

// logLines is each access-log line of an exchange as "<path> <line>".
func logLines(ex *Exchange) []string {
	var out []string
	for _, l := range ex.AccessLog {
		out = append(out, l.Path+" "+strings.TrimSuffix(l.Line, "\n"))
	}
	return out
}
