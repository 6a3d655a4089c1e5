package wasmtest_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"wasp.dev/filters/wasmtest"
)

// modulePackages are the filter packages whose built modules must have the
// shape Envoy loads. Every filter directory in the repository is listed by
// `make wasm`; this test covers the examples and the bridge's test filters,
// and each filter's own tests run the same check through AssertEnvoyModule.
var modulePackages = []string{
	"../examples/hello",
	"../examples/counter",
	"../abi/testdata/allcalls",
	"../abi/testdata/retain",
}

func TestWasmModuleShape(t *testing.T) {
	for _, pkg := range modulePackages {
		t.Run(strings.TrimPrefix(pkg, "../"), func(t *testing.T) {
			wasmtest.AssertEnvoyModule(t, wasmtest.Build(t, pkg))
		})
	}
}

// TestWasmDistModulesShape checks every module `make wasm` built (make
// test-filters runs it after make wasm; with no filters/dist it checks
// nothing, and TestWasmModuleShape still covers the examples).
func TestWasmDistModulesShape(t *testing.T) {
	built, err := filepath.Glob("../dist/*.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range built {
		t.Run(filepath.Base(path), func(t *testing.T) {
			wasmtest.AssertEnvoyModule(t, path)
		})
	}
}

// TestEnvoyWASIList pins the allowed WASI list to its source
// (proxy-wasm-cpp-host FOR_ALL_WASI_FUNCTIONS plus the three functions added
// for Go), so that a change to it is deliberate.
func TestEnvoyWASIList(t *testing.T) {
	want := []string{
		"args_get", "args_sizes_get", "clock_time_get", "environ_get", "environ_sizes_get",
		"fd_close", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_prestat_dir_name", "fd_prestat_get",
		"fd_read", "fd_seek", "fd_write", "path_open", "poll_oneoff", "proc_exit", "random_get", "sched_yield",
	}
	var got []string
	for name := range wasmtest.EnvoyWASIFunctions {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("EnvoyWASIFunctions = %v, want %v", got, want)
	}
}

func TestRefusesImportsEnvoyLacks(t *testing.T) {
	// A minimal module importing wasi_snapshot_preview1.sock_accept, which
	// Envoy does not provide.
	mod := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
		0x01, 0x08, 0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32 i32 i32) -> i32
	}
	imp := append([]byte{0x01}, wasmName("wasi_snapshot_preview1")...)
	imp = append(imp, wasmName("sock_accept")...)
	imp = append(imp, 0x00, 0x00) // func, type 0
	mod = append(mod, 0x02, byte(len(imp)))
	mod = append(mod, imp...)
	err := wasmtest.CheckModuleBytes(context.Background(), mod)
	if err == nil || !strings.Contains(err.Error(), "wasi_snapshot_preview1.sock_accept") {
		t.Fatalf("want a refusal naming sock_accept, got %v", err)
	}
}

func wasmName(s string) []byte { return append([]byte{byte(len(s))}, s...) }
