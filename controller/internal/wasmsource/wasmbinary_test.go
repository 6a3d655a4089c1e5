package wasmsource

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"wasp.dev/filters/envoywasi"
)

func TestValidateModule(t *testing.T) {
	valid := proxyModule()
	abi020 := proxyModule()
	abi020.abiExport = "proxy_abi_version_0_2_0"
	noABI := proxyModule()
	noABI.abiExport = ""
	oldABI := proxyModule()
	oldABI.abiExport = "proxy_abi_version_0_1_0"
	noAlloc := proxyModule()
	noAlloc.exports = []string{"proxy_on_context_create"}
	noMemory := proxyModule()
	noMemory.noMemory = true
	badImport := proxyModule()
	badImport.imports = [][2]string{{"env", "proxy_log"}, {"wasi_snapshot_preview2", "fd_write"}, {"go", "debug"}}
	// What wasi-libc or Go may import and Envoy's WASI lacks.
	badWASI := proxyModule()
	badWASI.imports = append(badWASI.imports, [2]string{"wasi_snapshot_preview1", "sock_accept"},
		[2]string{"wasi_snapshot_preview1", "fd_readdir"}, [2]string{"wasi_snapshot_preview1", "sock_accept"})
	allWASI := proxyModule()
	allWASI.imports = nil
	for _, name := range envoywasi.Functions() {
		allWASI.imports = append(allWASI.imports, [2]string{"wasi_snapshot_preview1", name})
	}
	padded := proxyModule()
	padded.padding = 300

	truncated := valid.bytes()
	truncated = truncated[:len(truncated)-3]
	badVersion := valid.bytes()
	badVersion[4] = 2
	unknownSection := append(valid.bytes(), 0x0e, 0x00)
	longLEB := append([]byte{0x00, 'a', 's', 'm', 1, 0, 0, 0, 0x01}, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01)
	hugeVec := append([]byte{0x00, 'a', 's', 'm', 1, 0, 0, 0}, appendSection(nil, 7, uleb(1<<31))...)

	cases := []struct {
		name    string
		bin     []byte
		wantErr string // "" = valid
	}{
		{"valid 0.2.1", valid.bytes(), ""},
		{"valid 0.2.0", abi020.bytes(), ""},
		{"custom section", padded.bytes(), ""},
		{"not wasm", []byte("<html>not found</html>"), "not a Wasm binary"},
		{"empty", nil, "not a Wasm binary"},
		{"version 2", badVersion, "unsupported Wasm binary version"},
		{"truncated", truncated, "truncated"},
		{"unknown section id", unknownSection, "unknown section id 14"},
		{"LEB128 too long", longLEB, "LEB128"},
		{"forged vector length", hugeVec, "vector of"},
		{"no ABI export", noABI.bytes(), "no proxy-wasm ABI version export"},
		{"ABI 0.1.0 only", oldABI.bytes(), "no proxy-wasm ABI version export"},
		{"no memory allocate", noAlloc.bytes(), `missing func export "proxy_on_memory_allocate"`},
		{"no memory", noMemory.bytes(), `missing memory export "memory"`},
		{"foreign imports", badImport.bytes(), "imports outside env and wasi_snapshot_preview1: go.debug, wasi_snapshot_preview2.fd_write"},
		{"WASI Envoy lacks", badWASI.bytes(), "imports wasi_snapshot_preview1 functions Envoy does not provide: fd_readdir, sock_accept (Envoy provides only args_get, "},
		{"all of Envoy's WASI", allWASI.bytes(), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateModule(tc.bin)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want valid, got %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
			}
		})
	}
}

func TestParseWasmImportsExports(t *testing.T) {
	m, err := ParseWasm(proxyModule().bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := []Import{{"env", "proxy_log", ExternFunc}, {"wasi_snapshot_preview1", "fd_write", ExternFunc}}
	if len(m.Imports) != len(want) || m.Imports[0] != want[0] || m.Imports[1] != want[1] {
		t.Errorf("imports = %+v, want %+v", m.Imports, want)
	}
	var names []string
	for _, e := range m.Exports {
		names = append(names, e.Name+":"+e.Kind.String())
	}
	if got := strings.Join(names, ","); got != "proxy_abi_version_0_2_1:func,proxy_on_memory_allocate:func,proxy_on_context_create:func,memory:memory" {
		t.Errorf("exports = %s", got)
	}
}

// TestValidateBuiltFilters runs the validator on the Go-built filters that
// `make build-wasp` copies next to the wasm server, when they are there:
// the parser must accept what the standard Go toolchain emits. The
// hand-assembled modules above cover the checks either way.
func TestValidateBuiltFilters(t *testing.T) {
	files, _ := filepath.Glob("../wasmserver/dist/*.wasm")
	t.Logf("%d built filters found", len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateModule(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func FuzzParseWasm(f *testing.F) {
	f.Add(proxyModule().bytes())
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseWasm(b) // must not panic or over-allocate
	})
}
