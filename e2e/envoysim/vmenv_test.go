package envoysim

import (
	"slices"
	"strings"
	"testing"

	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// hostnameCase has one route and the accesslog filter printing %HOSTNAME%:
// the translator gives the accesslog module host_env_keys [HOSTNAME].
const hostnameCase = `
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
      match: {path: {type: PathPrefix, value: /}}
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
      - fileSink: {path: /dev/stdout, stringFormat: "host=%HOSTNAME%"}
`

// TestWasmHostEnvKeysReachFilter: the value of a host_env_keys entry in
// the simulated Envoy environment (Options.HostEnv) is what the accesslog
// filter prints for %HOSTNAME%; without it the key is dropped ("-").
func TestWasmHostEnvKeysReachFilter(t *testing.T) {
	srv, sums := codeServer(t)
	var in ir.Proxy
	if err := yaml.UnmarshalStrict([]byte(hostnameCase), &in); err != nil {
		t.Fatal(err)
	}
	in.WasmModules[0].SHA256 = sums["builtin"]
	res := translate(t, &in, translator.Options{})

	logLine := func(opts Options) string {
		t.Helper()
		p := newProxyWith(t, res, srv, opts)
		plugins := p.Plugins()
		if len(plugins) != 1 {
			t.Fatalf("connection managers %v", plugins)
		}
		ex := do(t, p, Request{ListenerPort: 8080, Path: "/", Authority: "gw"})
		for _, l := range ex.AccessLog {
			if l.Path == "/dev/stdout" {
				return strings.TrimSuffix(l.Line, "\n")
			}
		}
		t.Fatalf("no accesslog filter line in %v", ex.AccessLog)
		return ""
	}
	// The key arrives through host_env_keys, not key_values.
	if keys := accessLogEnv(t, res); !slices.Equal(keys.GetHostEnvKeys(), []string{"HOSTNAME"}) || len(keys.GetKeyValues()) != 0 {
		t.Fatalf("environment_variables %v, want host_env_keys [HOSTNAME]", keys)
	}
	if got := logLine(Options{Seed: 1, HostEnv: map[string]string{"HOSTNAME": "gw-istio-7d9f", "OTHER": "x"}}); got != "host=gw-istio-7d9f" {
		t.Errorf("with HOSTNAME in the Envoy environment: %q", got)
	}
	if got := logLine(Options{Seed: 1}); got != "host=-" {
		t.Errorf("without HOSTNAME in the Envoy environment: %q, want the key dropped", got)
	}
}

// accessLogEnv is the accesslog filter's vm_config.environment_variables.
func accessLogEnv(t *testing.T, res *Resources) *wasmv3.EnvironmentVariables {
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
				for _, hf := range hcm.GetHttpFilters() {
					if hf.GetTypedConfig().GetTypeUrl() != wasmTypeURL {
						continue
					}
					cfg, err := decodeWasmFilter(hf.GetTypedConfig())
					if err != nil {
						t.Fatal(err)
					}
					return cfg.GetVmConfig().GetEnvironmentVariables()
				}
			}
		}
	}
	t.Fatal("no Wasm filter in the resources")
	return nil
}

func TestVMEnv(t *testing.T) {
	ev := &wasmv3.EnvironmentVariables{HostEnvKeys: []string{"HOSTNAME", "MISSING"}, KeyValues: map[string]string{"A": "1"}}
	env, err := vmEnv(ev, map[string]string{"HOSTNAME": "h", "UNLISTED": "u"})
	if err != nil || len(env) != 2 || env["HOSTNAME"] != "h" || env["A"] != "1" {
		t.Errorf("env %v, err %v: want HOSTNAME and A only", env, err)
	}
	if env, err := vmEnv(nil, map[string]string{"HOSTNAME": "h"}); err != nil || env != nil {
		t.Errorf("no environment_variables: %v %v", env, err)
	}
	dup := &wasmv3.EnvironmentVariables{HostEnvKeys: []string{"A"}, KeyValues: map[string]string{"A": "1"}}
	if _, err := vmEnv(dup, map[string]string{"A": "h"}); err == nil {
		t.Error("a key in both host_env_keys and key_values must fail")
	}
}
