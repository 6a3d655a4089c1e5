package wasmsource

// A hand-assembled proxy-wasm module for tests: real Wasm (types, an import,
// three functions, a memory, exports, code) without building a filter.

type testModule struct {
	abiExport   string      // "" for none
	exports     []string    // function exports besides the ABI one
	imports     [][2]string // imported functions: module, name
	noMemory    bool
	padding     int // bytes of a custom section, to size the module
	paddingSeed byte
}

// proxyModule is a module Envoy would accept.
func proxyModule() testModule {
	return testModule{
		abiExport: "proxy_abi_version_0_2_1",
		exports:   []string{"proxy_on_memory_allocate", "proxy_on_context_create"},
		imports:   [][2]string{{"env", "proxy_log"}, {"wasi_snapshot_preview1", "fd_write"}},
	}
}

func (m testModule) bytes() []byte {
	out := []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}
	// type 0: () -> ()
	out = appendSection(out, 1, vec(1, []byte{0x60, 0x00, 0x00}))
	var imports []byte
	for _, im := range m.imports {
		imports = append(imports, wname(im[0])...)
		imports = append(imports, wname(im[1])...)
		imports = append(imports, 0x00, 0x00) // func, type 0
	}
	out = appendSection(out, 2, vec(len(m.imports), imports))
	funcs := m.exports
	if m.abiExport != "" {
		funcs = append([]string{m.abiExport}, funcs...)
	}
	fsec := []byte{}
	for range funcs {
		fsec = append(fsec, 0x00) // type 0
	}
	out = appendSection(out, 3, vec(len(funcs), fsec))
	if !m.noMemory {
		out = appendSection(out, 5, vec(1, []byte{0x00, 0x01})) // min 1 page
	}
	var exports []byte
	n := 0
	for i, name := range funcs {
		exports = append(exports, wname(name)...)
		exports = append(exports, 0x00, byte(len(m.imports)+i)) // func index after imports
		n++
	}
	if !m.noMemory {
		exports = append(exports, wname("memory")...)
		exports = append(exports, 0x02, 0x00)
		n++
	}
	out = appendSection(out, 7, vec(n, exports))
	var code []byte
	for range funcs {
		code = append(code, 0x02, 0x00, 0x0b) // body size 2: no locals, end
	}
	out = appendSection(out, 10, vec(len(funcs), code))
	if m.padding > 0 {
		pad := wname("padding")
		for i := range m.padding {
			pad = append(pad, m.paddingSeed+byte(i))
		}
		out = appendSection(out, 0, pad)
	}
	return out
}

func appendSection(out []byte, id byte, body []byte) []byte {
	out = append(out, id)
	out = append(out, uleb(uint64(len(body)))...)
	return append(out, body...)
}

func vec(n int, items []byte) []byte { return append(uleb(uint64(n)), items...) }

func wname(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func uleb(v uint64) []byte {
	var out []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			out = append(out, c|0x80)
			continue
		}
		return append(out, c)
	}
}
