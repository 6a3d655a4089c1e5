package wasmtest

import (
	"fmt"
	"sort"
)

// WASIModule is the import module name of WASI preview 1.
const WASIModule = "wasi_snapshot_preview1"

// EnvoyWASIFunctions is the set of WASI preview 1 functions Envoy 1.33's Wasm
// host provides. A module importing any other WASI function fails to load in
// Envoy, so wasmtest refuses it too.
//
// Source: proxy-wasm-cpp-host include/proxy-wasm/exports.h,
// FOR_ALL_WASI_FUNCTIONS (fd_write, fd_read, fd_seek, fd_close,
// fd_fdstat_get, environ_get, environ_sizes_get, args_get, args_sizes_get,
// clock_time_get, random_get, proc_exit, path_open, fd_prestat_get,
// fd_prestat_dir_name), plus sched_yield, poll_oneoff and fd_fdstat_set_flags,
// which cpp-host added for modules built by the standard Go toolchain (the
// version Envoy 1.33 pins).
var EnvoyWASIFunctions = map[string]bool{
	"fd_write":            true,
	"fd_read":             true,
	"fd_seek":             true,
	"fd_close":            true,
	"fd_fdstat_get":       true,
	"environ_get":         true,
	"environ_sizes_get":   true,
	"args_get":            true,
	"args_sizes_get":      true,
	"clock_time_get":      true,
	"random_get":          true,
	"proc_exit":           true,
	"path_open":           true,
	"fd_prestat_get":      true,
	"fd_prestat_dir_name": true,
	"sched_yield":         true,
	"poll_oneoff":         true,
	"fd_fdstat_set_flags": true,
}

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
			if !EnvoyWASIFunctions[imp.Name] {
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
