package wasmtest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// One wazero runtime serves the whole test process: compiling a Go-built
// module takes seconds, so each module is compiled once (keyed by the sha256 of
// its bytes) and every VM of every Host instantiates the same CompiledModule.
// The env (proxy-wasm) and WASI host modules are instantiated once in it; host
// functions find the calling VM through the context of the call.
var shared struct {
	once  sync.Once
	rt    wazero.Runtime
	cache wazero.CompilationCache
	err   error

	mu       sync.Mutex
	compiled map[[32]byte]*compiledModule
}

type compiledModule struct {
	once sync.Once
	mod  wazero.CompiledModule
	size int
	sum  [32]byte // sha256 of the code: part of Envoy's VM key
	err  error
}

func sharedRuntime() (wazero.Runtime, error) {
	shared.once.Do(func() {
		ctx := context.Background()
		shared.cache = wazero.NewCompilationCache()
		shared.rt = newRuntime(ctx, shared.cache)
		shared.compiled = map[[32]byte]*compiledModule{}
		if err := instantiateHostModules(ctx, shared.rt); err != nil {
			shared.err = err
		}
	})
	return shared.rt, shared.err
}

func newRuntime(ctx context.Context, cache wazero.CompilationCache) wazero.Runtime {
	cfg := wazero.NewRuntimeConfig().WithCloseOnContextDone(false)
	if cache != nil {
		cfg = cfg.WithCompilationCache(cache)
	}
	return wazero.NewRuntimeWithConfig(ctx, cfg)
}

func instantiateHostModules(ctx context.Context, rt wazero.Runtime) error {
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		return fmt.Errorf("wasmtest: instantiating WASI: %w", err)
	}
	if _, err := buildEnvModule(rt).Instantiate(ctx); err != nil {
		return fmt.Errorf("wasmtest: instantiating env: %w", err)
	}
	return nil
}

// compile returns the process-wide compiled form of the module at path,
// after checking its imports against what Envoy provides.
func compile(path string) (*compiledModule, error) {
	rt, err := sharedRuntime()
	if err != nil {
		return nil, err
	}
	code, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wasmtest: %w", err)
	}
	key := sha256.Sum256(code)
	shared.mu.Lock()
	c, ok := shared.compiled[key]
	if !ok {
		c = &compiledModule{size: len(code), sum: key}
		shared.compiled[key] = c
	}
	shared.mu.Unlock()
	c.once.Do(func() {
		c.mod, c.err = compileChecked(context.Background(), rt, code)
	})
	return c, c.err
}

func compileChecked(ctx context.Context, rt wazero.Runtime, code []byte) (wazero.CompiledModule, error) {
	mod, err := rt.CompileModule(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("wasmtest: compiling module: %w", err)
	}
	if err := checkImports(ImportsOf(mod)); err != nil {
		mod.Close(ctx)
		return nil, err
	}
	return mod, nil
}

// ImportsOf lists the functions a compiled module imports.
func ImportsOf(mod wazero.CompiledModule) []Import {
	var out []Import
	for _, f := range mod.ImportedFunctions() {
		m, n, _ := f.Import()
		out = append(out, Import{Module: m, Name: n})
	}
	return out
}

// ExportsOf lists the names of the functions a compiled module exports.
func ExportsOf(mod wazero.CompiledModule) []string {
	var out []string
	for name := range mod.ExportedFunctions() {
		out = append(out, name)
	}
	return out
}

// CompileFile compiles the module at path in a fresh runtime that shares
// nothing with the process-wide one (for tests that inspect a module's imports
// and exports, and for the cold-compile benchmark). Pass a cache to measure a
// cached compile. The caller closes the returned runtime.
func CompileFile(ctx context.Context, path string, cache wazero.CompilationCache) (wazero.Runtime, wazero.CompiledModule, error) {
	code, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	rt := newRuntime(ctx, cache)
	mod, err := rt.CompileModule(ctx, code)
	if err != nil {
		rt.Close(ctx)
		return nil, nil, err
	}
	return rt, mod, nil
}
