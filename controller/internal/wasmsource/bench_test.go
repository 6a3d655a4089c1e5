package wasmsource

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// benchModule is a Go-built filter when `make build-wasp` has copied them
// next to the wasm server, else a generated module of the same size
// (3.3 MiB, the scaffolded filter's size in docs/custom-filters.md).
func benchModule(b *testing.B) []byte {
	b.Helper()
	if files, _ := filepath.Glob("../wasmserver/dist/*.wasm"); len(files) > 0 {
		if code, err := os.ReadFile(files[0]); err == nil {
			return code
		}
	}
	return sizedModule(7, 3300<<10)
}

// BenchmarkValidateModule: the parse and ABI check every fetched module
// goes through before it is cached.
func BenchmarkValidateModule(b *testing.B) {
	code := benchModule(b)
	b.SetBytes(int64(len(code)))
	for b.Loop() {
		if err := ValidateModule(code); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFetchCacheHit: a Fetch of a source already cached (what every
// reconcile of an unchanged WasmFilter costs): read the file (hashed once
// per process).
func BenchmarkFetchCacheHit(b *testing.B) {
	code := benchModule(b)
	cache, err := OpenCache(CacheOptions{Dir: b.TempDir(), MaxBytes: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	f, err := New(Options{Cache: cache})
	if err != nil {
		b.Fatal(err)
	}
	src := Source{HTTP: &HTTPSource{URL: "http://127.0.0.1:1/f.wasm"}, SHA256: sha(code)}
	if _, err := cache.put(src.cacheKey(), code); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(code)))
	for b.Loop() {
		m, err := f.Fetch(context.Background(), src)
		if err != nil || !m.FromCache {
			b.Fatal(m, err)
		}
	}
}
