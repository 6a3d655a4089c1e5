package wasmsource

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// The Wasm binary format (core spec 1.0 and later, section 5): a magic
// number, version 1, then sections of (id byte, u32 LEB128 size, content).
var (
	wasmMagic   = []byte{0x00, 'a', 's', 'm'}
	wasmVersion = []byte{0x01, 0x00, 0x00, 0x00}
)

// Section ids the parser reads; the others are skipped by size.
const (
	sectionCustom = 0
	sectionImport = 2
	sectionExport = 7
	// sectionMaxID is the highest id defined today (13: tag, from the
	// exception-handling proposal Go's toolchain may emit).
	sectionMaxID = 13
)

// ExternKind is what an import or export is.
type ExternKind byte

// Extern kinds (binary encoding).
const (
	ExternFunc   ExternKind = 0
	ExternTable  ExternKind = 1
	ExternMemory ExternKind = 2
	ExternGlobal ExternKind = 3
	ExternTag    ExternKind = 4
)

func (k ExternKind) String() string {
	switch k {
	case ExternFunc:
		return "func"
	case ExternTable:
		return "table"
	case ExternMemory:
		return "memory"
	case ExternGlobal:
		return "global"
	case ExternTag:
		return "tag"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Import is one entry of the import section.
type Import struct {
	Module, Name string
	Kind         ExternKind
}

// Export is one entry of the export section.
type Export struct {
	Name string
	Kind ExternKind
}

// WasmModule is what the validator needs from a module: its imports and
// exports, in file order.
type WasmModule struct {
	Imports []Import
	Exports []Export
}

// ParseWasm reads the module's header and section framing, and decodes the
// import and export sections. It does not validate code: Envoy does that
// when it loads the module; this check catches the wrong file (not Wasm,
// not a proxy-wasm module, truncated) before it reaches a proxy.
func ParseWasm(b []byte) (*WasmModule, error) {
	if len(b) < 8 || !bytes.Equal(b[:4], wasmMagic) {
		return nil, errors.New("not a Wasm binary (no \\0asm magic)")
	}
	if !bytes.Equal(b[4:8], wasmVersion) {
		return nil, fmt.Errorf("unsupported Wasm binary version % x", b[4:8])
	}
	r := &reader{b: b, off: 8}
	m := &WasmModule{}
	seen := map[byte]bool{}
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		body, err := r.take(int(size))
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		if id > sectionMaxID {
			return nil, fmt.Errorf("unknown section id %d at offset %d", id, r.off-int(size))
		}
		if id != sectionCustom {
			if seen[id] {
				return nil, fmt.Errorf("duplicate section id %d", id)
			}
			seen[id] = true
		}
		sr := &reader{b: body}
		switch id {
		case sectionImport:
			m.Imports, err = readImports(sr)
		case sectionExport:
			m.Exports, err = readExports(sr)
		case sectionCustom:
			_, err = sr.name() // a custom section starts with its name
			sr.off = len(sr.b)
		default:
			sr.off = len(sr.b)
		}
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		if !sr.done() {
			return nil, fmt.Errorf("section %d: %d trailing bytes", id, len(sr.b)-sr.off)
		}
	}
	return m, nil
}

func readImports(r *reader) ([]Import, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	out := make([]Import, 0, n)
	for range n {
		mod, err := r.name()
		if err != nil {
			return nil, err
		}
		name, err := r.name()
		if err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		if err := r.skipImportDesc(ExternKind(kind)); err != nil {
			return nil, fmt.Errorf("import %s.%s: %w", mod, name, err)
		}
		out = append(out, Import{Module: mod, Name: name, Kind: ExternKind(kind)})
	}
	return out, nil
}

func readExports(r *reader) ([]Export, error) {
	n, err := r.count()
	if err != nil {
		return nil, err
	}
	out := make([]Export, 0, n)
	for range n {
		name, err := r.name()
		if err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		if kind > byte(ExternTag) {
			return nil, fmt.Errorf("export %q: unknown kind %d", name, kind)
		}
		if _, err := r.u32(); err != nil { // index
			return nil, fmt.Errorf("export %q: %w", name, err)
		}
		out = append(out, Export{Name: name, Kind: ExternKind(kind)})
	}
	return out, nil
}

// skipImportDesc reads past an import's type: a type index (func), a table
// type, limits (memory), a global type, or a tag type.
func (r *reader) skipImportDesc(k ExternKind) error {
	switch k {
	case ExternFunc:
		_, err := r.u32()
		return err
	case ExternTable:
		if _, err := r.byte(); err != nil { // reference type
			return err
		}
		return r.skipLimits()
	case ExternMemory:
		return r.skipLimits()
	case ExternGlobal:
		_, err := r.take(2) // value type, mutability
		return err
	case ExternTag:
		if _, err := r.byte(); err != nil { // attribute
			return err
		}
		_, err := r.u32()
		return err
	}
	return fmt.Errorf("unknown import kind %d", k)
}

// skipLimits reads limits: a flags byte (bit 0: has max; bit 2: 64-bit
// memory, whose bounds are u64), min, and max when present.
func (r *reader) skipLimits() error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	if flags > 0x07 {
		return fmt.Errorf("invalid limits flags 0x%x", flags)
	}
	bounds := 1 + int(flags&0x01)
	for range bounds {
		if _, err := r.uleb(64); err != nil {
			return err
		}
	}
	return nil
}

// reader decodes the primitive encodings over one byte slice.
type reader struct {
	b   []byte
	off int
}

var errTruncated = errors.New("truncated")

func (r *reader) done() bool { return r.off >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.done() {
		return 0, errTruncated
	}
	c := r.b[r.off]
	r.off++
	return c, nil
}

func (r *reader) take(n int) ([]byte, error) {
	if n < 0 || n > len(r.b)-r.off {
		return nil, errTruncated
	}
	s := r.b[r.off : r.off+n]
	r.off += n
	return s, nil
}

func (r *reader) u32() (uint32, error) {
	v, err := r.uleb(32)
	return uint32(v), err
}

// uleb reads an unsigned LEB128 of at most bits bits.
func (r *reader) uleb(bits uint) (uint64, error) {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		if shift >= bits {
			return 0, errors.New("LEB128 integer too long")
		}
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		v |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			if bits < 64 && v>>bits != 0 {
				return 0, errors.New("LEB128 integer overflows")
			}
			return v, nil
		}
	}
}

// count reads a vector length, bounded by the bytes left (every entry
// takes at least one byte), so a forged length cannot make us allocate.
func (r *reader) count() (int, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if int(n) > len(r.b)-r.off {
		return 0, fmt.Errorf("vector of %d entries in %d bytes", n, len(r.b)-r.off)
	}
	return int(n), nil
}

func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	s, err := r.take(int(n))
	if err != nil {
		return "", err
	}
	if !utf8.Valid(s) {
		return "", errors.New("name is not UTF-8")
	}
	return string(s), nil
}
