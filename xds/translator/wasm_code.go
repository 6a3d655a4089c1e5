package translator

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/xds/ir"
)

// Remote code fetch settings. Envoy fetches the code once per sha256 and
// keeps listeners warming until it arrives, so retries must not give up
// early (Envoy Gateway #5619: fetches never retried).
const (
	wasmFetchTimeout    = 30 * time.Second
	wasmFetchRetries    = 10
	wasmFetchBackoff    = time.Second
	wasmFetchBackoffMax = 30 * time.Second
)

// vm returns the module's VmConfig, built once per translation and shared by
// every plugin of the module: Envoy keys VMs by (vm_id, vm configuration,
// code), so byte-identical VmConfigs share one VM per worker.
func (s *wasmState) vm(name string) (*wasmv3.VmConfig, error) {
	if vm, ok := s.vmConfig[name]; ok {
		return vm, nil
	}
	m := s.modules[name]
	if m == nil {
		return nil, fmt.Errorf("wasm module %q: not defined", name)
	}
	code, err := s.codeSource(m)
	if err != nil {
		return nil, fmt.Errorf("wasm module %s: %w", name, err)
	}
	vm := &wasmv3.VmConfig{
		VmId:    m.Name,
		Runtime: WasmRuntime,
		Code:    code,
	}
	if keys := s.hostEnvKeys(m); len(keys) > 0 || len(m.Env) > 0 {
		vm.EnvironmentVariables = &wasmv3.EnvironmentVariables{HostEnvKeys: keys, KeyValues: m.Env}
	}
	if err := vm.ValidateAll(); err != nil {
		return nil, fmt.Errorf("wasm module %s: %w", name, err)
	}
	s.vmConfig[name] = vm
	return vm, nil
}

// accessLogHostEnvKey is the Envoy process's environment variable the
// access-log filter prints for %HOSTNAME% (the pod name in a pod, which is
// what Envoy's own %HOSTNAME% prints there). A Wasm VM sees only the host
// variables its vm_config lists in host_env_keys.
const accessLogHostEnvKey = "HOSTNAME"

// hostEnvKeys is the module's host_env_keys: the IR's, plus HOSTNAME when
// the module holds the built-in access-log filter and nothing provides it
// yet (a key_values HOSTNAME wins: Envoy refuses a key set both ways). It
// depends on the module alone, so every plugin of the module gets the same
// vm_config and shares its VM.
func (s *wasmState) hostEnvKeys(m *ir.WasmModule) []string {
	keys := m.HostEnvKeys
	if !s.holdsAccessLog(m.Name) || slices.Contains(keys, accessLogHostEnvKey) {
		return keys
	}
	if _, set := m.Env[accessLogHostEnvKey]; set {
		return keys
	}
	return append(slices.Clip(keys), accessLogHostEnvKey) // never write into the IR's array
}

// holdsAccessLog says whether module is the code of the built-in access-log
// filter.
func (s *wasmState) holdsAccessLog(module string) bool {
	f := s.filters[ir.FilterAccessLog]
	return f != nil && f.Custom == nil && f.Module == module
}

func (s *wasmState) codeSource(m *ir.WasmModule) (*corev3.AsyncDataSource, error) {
	if m.File != "" {
		return &corev3.AsyncDataSource{Specifier: &corev3.AsyncDataSource_Local{
			Local: &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: m.File}},
		}}, nil
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("url %q: only http and https are served by the wasm code server", m.URL)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil || host == "" {
		return nil, fmt.Errorf("url %q: bad host or port", m.URL)
	}
	cluster := WasmCodeClusterPrefix + net.JoinHostPort(host, port)
	cc := codeCluster{host: host, port: port, tls: u.Scheme == "https"}
	if prev, ok := s.codeClusters[cluster]; ok && prev != cc {
		return nil, fmt.Errorf("url %q: %s is named both with http and https", m.URL, net.JoinHostPort(host, port))
	}
	s.codeClusters[cluster] = cc
	return &corev3.AsyncDataSource{Specifier: &corev3.AsyncDataSource_Remote{Remote: &corev3.RemoteDataSource{
		HttpUri: &corev3.HttpUri{
			Uri:              m.URL,
			HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: cluster},
			Timeout:          durationpb.New(wasmFetchTimeout),
		},
		Sha256: m.SHA256,
		RetryPolicy: &corev3.RetryPolicy{
			NumRetries: wrapperspb.UInt32(wasmFetchRetries),
			RetryBackOff: &corev3.BackoffStrategy{
				BaseInterval: durationpb.New(wasmFetchBackoff),
				MaxInterval:  durationpb.New(wasmFetchBackoffMax),
			},
		},
	}}}, nil
}
