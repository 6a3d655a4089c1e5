package wasmtest

import (
	"maps"
	"slices"

	"github.com/tetratelabs/wazero"
)

// withEnv gives the module its environment through WASI environ_get, as
// Envoy's host does with vm_config.environment_variables (cpp-host answers
// environ_sizes_get/environ_get from the VM's env map). Envoy's map has no
// order; keys go in sorted so that os.Environ in the module is the same in
// every run. An empty key or one holding '=' or NUL fails the VM's
// instantiation (wazero checks it), as it could not be a WASI environ entry.
func withEnv(cfg wazero.ModuleConfig, env map[string]string) wazero.ModuleConfig {
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cfg = cfg.WithEnv(k, env[k])
	}
	return cfg
}

// Env returns a copy of the VM's environment (VMConfig.Env).
func (vm *VM) Env() map[string]string { return maps.Clone(vm.cfg.Env) }
