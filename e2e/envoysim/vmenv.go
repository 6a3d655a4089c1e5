package envoysim

import (
	"fmt"

	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
)

// vmEnv is the environment Envoy gives a Wasm VM from
// vm_config.environment_variables: each host_env_keys entry with its value
// in the Envoy process environment (hostEnv; a key the process lacks is
// left out), then key_values. A key_values key that a host_env_keys entry
// already set makes Envoy reject the plugin ("All the keys must be
// unique"), so it is an error here too. Nil when the VM has no environment.
func vmEnv(ev *wasmv3.EnvironmentVariables, hostEnv map[string]string) (map[string]string, error) {
	if len(ev.GetHostEnvKeys()) == 0 && len(ev.GetKeyValues()) == 0 {
		return nil, nil
	}
	env := map[string]string{}
	for _, k := range ev.GetHostEnvKeys() {
		if v, ok := hostEnv[k]; ok {
			env[k] = v
		}
	}
	for k, v := range ev.GetKeyValues() {
		if _, dup := env[k]; dup {
			return nil, fmt.Errorf("vm_config.environment_variables: key %q is both a host_env_keys value and in key_values (Envoy requires unique keys)", k)
		}
		env[k] = v
	}
	return env, nil
}
