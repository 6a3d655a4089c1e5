package translator

import (
	"maps"
	"slices"
	"testing"

	"wasp.dev/xds/ir"
)

// vmEnvOf translates p and returns, per vm_id, the host_env_keys and
// key_values of every Wasm plugin's vm_config (the golden invariants already
// check that plugins of one module carry identical bytes).
func vmEnvOf(t *testing.T, p *ir.Proxy, opts Options) (keys map[string][]string, values map[string]map[string]string) {
	t.Helper()
	res, err := Translate(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	keys, values = map[string][]string{}, map[string]map[string]string{}
	for _, h := range hcms(t, res) {
		for _, pc := range wasmPlugins(t, h) {
			vm := pc.GetVmConfig()
			keys[vm.VmId] = vm.GetEnvironmentVariables().GetHostEnvKeys()
			values[vm.VmId] = vm.GetEnvironmentVariables().GetKeyValues()
		}
	}
	return keys, values
}

// The access log's %HOSTNAME% needs the Envoy process's HOSTNAME in the VM:
// the translator asks for it on the access-log module even when the IR
// (as the controller builds it) does not, and only there.
func TestAccessLogModuleGetsHostnameEnvKey(t *testing.T) {
	for _, opts := range []Options{{}, {WasmAttachment: PluginPerPolicy}} {
		p := loadCase(t, "testdata/waypoint-ambient-seed.in.yaml")
		for _, m := range p.WasmModules {
			if m.Name == "accesslog" && len(m.HostEnvKeys) > 0 {
				t.Fatalf("the case should leave host_env_keys to the translator, has %v", m.HostEnvKeys)
			}
		}
		keys, _ := vmEnvOf(t, p, opts)
		if got := keys["accesslog"]; !slices.Equal(got, []string{"HOSTNAME"}) {
			t.Errorf("mode %d: accesslog host_env_keys %v, want [HOSTNAME]", opts.WasmAttachment, got)
		}
		if _, ok := keys["ratelimit"]; !ok {
			t.Fatalf("mode %d: no ratelimit plugin in the case", opts.WasmAttachment)
		}
		if got := keys["ratelimit"]; len(got) != 0 {
			t.Errorf("mode %d: ratelimit host_env_keys %v, want none", opts.WasmAttachment, got)
		}
		for _, m := range p.WasmModules {
			if len(m.HostEnvKeys) > 0 {
				t.Errorf("the translator wrote into the IR: module %s host_env_keys %v", m.Name, m.HostEnvKeys)
			}
		}
	}
}

func TestAccessLogHostnameEnvKeyNotDuplicated(t *testing.T) {
	accessLogModule := func(p *ir.Proxy) *ir.WasmModule {
		for _, m := range p.WasmModules {
			if m.Name == "accesslog" {
				return m
			}
		}
		t.Fatal("no accesslog module")
		return nil
	}
	cases := map[string]struct {
		keys       []string
		env        map[string]string
		wantKeys   []string
		wantValues map[string]string
	}{
		"listed already":        {keys: []string{"HOSTNAME"}, wantKeys: []string{"HOSTNAME"}},
		"other keys kept first": {keys: []string{"POD_NAMESPACE"}, wantKeys: []string{"POD_NAMESPACE", "HOSTNAME"}},
		// Envoy refuses a key in both host_env_keys and key_values.
		"static value wins": {env: map[string]string{"HOSTNAME": "gw-1"}, wantValues: map[string]string{"HOSTNAME": "gw-1"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := loadCase(t, "testdata/waypoint-ambient-seed.in.yaml")
			m := accessLogModule(p)
			m.HostEnvKeys, m.Env = slices.Clone(c.keys), c.env
			keys, values := vmEnvOf(t, p, Options{})
			if !slices.Equal(keys["accesslog"], c.wantKeys) {
				t.Errorf("host_env_keys %v, want %v", keys["accesslog"], c.wantKeys)
			}
			if !maps.Equal(values["accesslog"], c.wantValues) {
				t.Errorf("key_values %v, want %v", values["accesslog"], c.wantValues)
			}
			if !slices.Equal(m.HostEnvKeys, c.keys) {
				t.Errorf("the translator changed the IR's keys to %v", m.HostEnvKeys)
			}
		})
	}
}
