package wasmtest

import (
	"fmt"
	"sort"

	"wasp.dev/filters/envoywasi"
)

// WASIModule is the import module name of WASI preview 1.
const WASIModule = envoywasi.Module

// EnvoyWASIFunctions is the set of WASI preview 1 functions Envoy's Wasm host
// provides: package envoywasi's list (its doc names the upstream source),
// which the controller's module validation reads too. A module importing any
// other WASI function fails to load in Envoy, so wasmtest refuses it too.
var EnvoyWASIFunctions = func() map[string]bool {
	set := map[string]bool{}
	for _, name := range envoywasi.Functions() {
		set[name] = true
	}
	return set
}()

// Import is one function a module imports.
type Import struct{ Module, Name string }

// checkImports returns an error naming every import Envoy would refuse: a WASI
// function outside EnvoyWASIFunctions, a function from any module other than
// env and wasi_snapshot_preview1, or an env function that is not a proxy-wasm
// host call Envoy provides.
func checkImports(imports []Import) error {
	var bad []string
	for _, imp := range imports {
		switch imp.Module {
		case WASIModule:
			if !envoywasi.Provides(imp.Name) {
				bad = append(bad, imp.Module+"."+imp.Name)
			}
		case "env":
			if _, ok := hostFunctionSignatures[imp.Name]; !ok {
				bad = append(bad, imp.Module+"."+imp.Name)
			}
		default:
			bad = append(bad, imp.Module+"."+imp.Name)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fmt.Errorf("wasmtest: module imports functions Envoy 1.33 does not provide: %v", bad)
}
