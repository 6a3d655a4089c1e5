// Package envoywasi is the WASI preview 1 surface Envoy's Wasm host
// provides: the functions a proxy-wasm module may import from module
// wasi_snapshot_preview1. Envoy refuses to load a module importing any
// other WASI function, so every check of "would Envoy load this" reads this
// one list: the controller's WasmFilter module validation
// (controller/internal/wasmsource) and the Envoy-faithful test host
// (filters/wasmtest).
//
// Source: proxy-wasm-cpp-host (the Wasm host Envoy embeds),
// include/proxy-wasm/exports.h, macro FOR_ALL_WASI_FUNCTIONS: fd_write,
// fd_read, fd_seek, fd_close, fd_fdstat_get, environ_get,
// environ_sizes_get, args_get, args_sizes_get, clock_time_get, random_get,
// proc_exit, path_open, fd_prestat_get, fd_prestat_dir_name; plus
// sched_yield, poll_oneoff and fd_fdstat_set_flags, which cpp-host added so
// that modules built by the standard Go toolchain (GOOS=wasip1) load — in
// the cpp-host version Envoy 1.33 and later pin. A change here is a claim
// about Envoy: check it against that file of the cpp-host version the
// supported Envoy pins.
//
// The package has no dependencies: it is compiled into the controller and
// into test hosts alike.
package envoywasi

import "sort"

// Module is the import module name of WASI preview 1.
const Module = "wasi_snapshot_preview1"

// functions is the list, sorted.
var functions = []string{
	"args_get",
	"args_sizes_get",
	"clock_time_get",
	"environ_get",
	"environ_sizes_get",
	"fd_close",
	"fd_fdstat_get",
	"fd_fdstat_set_flags",
	"fd_prestat_dir_name",
	"fd_prestat_get",
	"fd_read",
	"fd_seek",
	"fd_write",
	"path_open",
	"poll_oneoff",
	"proc_exit",
	"random_get",
	"sched_yield",
}

// Functions returns the WASI functions Envoy provides, sorted (a copy).
func Functions() []string { return append([]string(nil), functions...) }

// Provides reports whether Envoy provides the WASI function name.
func Provides(name string) bool {
	i := sort.SearchStrings(functions, name)
	return i < len(functions) && functions[i] == name
}

// Refused returns, sorted and without duplicates, the WASI functions among
// names that Envoy does not provide: a module importing any of them fails
// to load.
func Refused(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !Provides(n) && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
