package wasmsource

import (
	"fmt"
	"sort"
	"strings"

	"wasp.dev/filters/envoywasi"
)

// The proxy-wasm ABI versions Envoy (≥ 1.33) accepts; a module declares its
// version by exporting one of these functions.
var abiVersionExports = []string{"proxy_abi_version_0_2_0", "proxy_abi_version_0_2_1"}

// requiredExports are the exports without which Envoy cannot drive a
// proxy-wasm module: the host allocates guest memory for every string it
// passes in, and creates every context through proxy_on_context_create;
// "memory" is the linear memory the host reads and writes.
var requiredExports = []struct {
	name string
	kind ExternKind
}{
	{"proxy_on_memory_allocate", ExternFunc},
	{"proxy_on_context_create", ExternFunc},
	{"memory", ExternMemory},
}

// allowedImportModules are the import namespaces Envoy provides: the
// proxy-wasm host calls and WASI preview 1 (of which only envoywasi's
// functions). Any other import makes the module fail to load.
var allowedImportModules = map[string]bool{"env": true, envoywasi.Module: true}

// ValidateModule checks that b is a Wasm binary exporting the proxy-wasm
// ABI and importing only what Envoy provides. The error, if any, says
// everything that is wrong.
func ValidateModule(b []byte) error {
	m, err := ParseWasm(b)
	if err != nil {
		return err
	}
	exports := map[string]ExternKind{}
	for _, e := range m.Exports {
		exports[e.Name] = e.Kind
	}
	var problems []string
	hasABI := false
	for _, name := range abiVersionExports {
		if k, ok := exports[name]; ok && k == ExternFunc {
			hasABI = true
		}
	}
	if !hasABI {
		problems = append(problems, "no proxy-wasm ABI version export (want function "+strings.Join(abiVersionExports, " or ")+")")
	}
	for _, want := range requiredExports {
		k, ok := exports[want.name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s export %q", want.kind, want.name))
		case k != want.kind:
			problems = append(problems, fmt.Sprintf("export %q is a %s, want %s", want.name, k, want.kind))
		}
	}
	bad := map[string]bool{}
	var wasi []string
	for _, im := range m.Imports {
		switch {
		case !allowedImportModules[im.Module]:
			bad[im.Module+"."+im.Name] = true
		case im.Module == envoywasi.Module:
			wasi = append(wasi, im.Name)
		}
	}
	if refused := envoywasi.Refused(wasi); len(refused) > 0 {
		problems = append(problems, fmt.Sprintf("imports %s functions Envoy does not provide: %s (Envoy provides only %s)",
			envoywasi.Module, strings.Join(refused, ", "), strings.Join(envoywasi.Functions(), ", ")))
	}
	if len(bad) > 0 {
		names := make([]string, 0, len(bad))
		for n := range bad {
			names = append(names, n)
		}
		sort.Strings(names)
		problems = append(problems, "imports outside env and wasi_snapshot_preview1: "+strings.Join(names, ", "))
	}
	if len(problems) > 0 {
		return fmt.Errorf("not a proxy-wasm module for Envoy: %s", strings.Join(problems, "; "))
	}
	return nil
}
