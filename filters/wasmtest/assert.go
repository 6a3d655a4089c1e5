package wasmtest

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
)

// RequiredExports are the exports Envoy needs from a Go-built plugin.
var RequiredExports = []string{"_initialize", "proxy_abi_version_0_2_1", "proxy_on_memory_allocate", "proxy_on_request_headers"}

// AssertEnvoyModule fails tb unless the module at path has the shape Envoy
// 1.33 loads: it exports _initialize, proxy_abi_version_0_2_1 (or 0_2_0) and
// proxy_on_request_headers, imports only env.proxy_* host calls and
// wasi_snapshot_preview1 functions, and its WASI imports are a subset of
// EnvoyWASIFunctions.
func AssertEnvoyModule(tb testing.TB, path string) {
	tb.Helper()
	ctx := context.Background()
	code, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	// The interpreter only validates and lowers the code: enough to list
	// imports and exports, and much faster than compiling to native code.
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	mod, err := rt.CompileModule(ctx, code)
	if err != nil {
		tb.Fatal(err)
	}
	exports := ExportsOf(mod)
	for _, want := range RequiredExports {
		if want == "proxy_abi_version_0_2_1" && slices.Contains(exports, "proxy_abi_version_0_2_0") {
			continue
		}
		if !slices.Contains(exports, want) {
			tb.Errorf("%s does not export %s", path, want)
		}
	}
	for _, imp := range ImportsOf(mod) {
		switch {
		case imp.Module == "env" && strings.HasPrefix(imp.Name, "proxy_"):
		case imp.Module == WASIModule && EnvoyWASIFunctions[imp.Name]:
		default:
			tb.Errorf("%s imports %s.%s, which Envoy 1.33 does not provide", path, imp.Module, imp.Name)
		}
	}
	if err := checkImports(ImportsOf(mod)); err != nil {
		tb.Error(err)
	}
}

// CheckModuleBytes compiles a module in a throwaway runtime and reports
// whether Envoy would refuse its imports.
func CheckModuleBytes(ctx context.Context, code []byte) error {
	rt := newRuntime(ctx, nil)
	defer rt.Close(ctx)
	mod, err := rt.CompileModule(ctx, code)
	if err != nil {
		return err
	}
	return checkImports(ImportsOf(mod))
}
