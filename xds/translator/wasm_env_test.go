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
// the translator asks for it on the module holding the access-log filter
// (the built-in module, whose rate-limit plugin shares the VM and so the
// same vm_config) even when the IR (as the controller builds it) does not,
// and only there.
func TestAccessLogModuleGetsHostnameEnvKey(t *testing.T) {
	for _, opts := range []Options{{}, {WasmAttachment: PluginPerPolicy}} {
		p := loadCase(t, "testdata/waypoint-ambient-seed.in.yaml")
		for _, m := range p.WasmModules {
			if len(m.HostEnvKeys) > 0 {
				t.Fatalf("the case should leave host_env_keys to the translator, has %v", m.HostEnvKeys)
			}
		}
		keys, _ := vmEnvOf(t, p, opts)
		if got := keys[builtinModule]; !slices.Equal(got, []string{"HOSTNAME"}) {
			t.Errorf("mode %d: builtin host_env_keys %v, want [HOSTNAME]", opts.WasmAttachment, got)
		}
		for _, m := range p.WasmModules {
			if len(m.HostEnvKeys) > 0 {
				t.Errorf("the translator wrote into the IR: module %s host_env_keys %v", m.Name, m.HostEnvKeys)
			}
		}
		// Without the access-log filter the module needs no host variable.
		rl := loadCase(t, "testdata/two-policies-same-kind.in.yaml")
		keys, _ = vmEnvOf(t, rl, opts)
		if got, ok := keys[builtinModule]; !ok || len(got) != 0 {
			t.Errorf("mode %d: rate limit alone: builtin host_env_keys %v (present %v), want none", opts.WasmAttachment, got, ok)
		}
	}
}

// builtinModule is the built-in filters' module in the cases.
const builtinModule = "builtin"

func TestAccessLogHostnameEnvKeyNotDuplicated(t *testing.T) {
	accessLogModule := func(p *ir.Proxy) *ir.WasmModule {
		for _, m := range p.WasmModules {
			if m.Name == builtinModule {
				return m
			}
		}
		t.Fatal("no builtin module")
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
			if !slices.Equal(keys[builtinModule], c.wantKeys) {
				t.Errorf("host_env_keys %v, want %v", keys[builtinModule], c.wantKeys)
			}
			if !maps.Equal(values[builtinModule], c.wantValues) {
				t.Errorf("key_values %v, want %v", values[builtinModule], c.wantValues)
			}
			if !slices.Equal(m.HostEnvKeys, c.keys) {
				t.Errorf("the translator changed the IR's keys to %v", m.HostEnvKeys)
			}
		})
	}
}
