package wasmtest

import (
	"encoding/binary"
	"strings"
)

// headerMap is an ordered header map with Envoy's semantics for the
// proxy-wasm calls: keys are lower-cased; get returns the first value;
// replace sets the first value (adding the header if absent) and keeps the
// others; remove drops every value; pseudo-headers stay in front.
type headerMap struct {
	pairs [][2]string
}

func newHeaderMap(pairs [][2]string) *headerMap {
	m := &headerMap{pairs: make([][2]string, 0, len(pairs)+4)}
	for _, p := range pairs {
		m.add(p[0], p[1])
	}
	return m
}

func (m *headerMap) get(key string) (string, bool) {
	key = strings.ToLower(key)
	for _, p := range m.pairs {
		if p[0] == key {
			return p[1], true
		}
	}
	return "", false
}

// getBytes is get for a key still in guest memory: no copy unless the key
// has upper-case letters.
func (m *headerMap) getBytes(key []byte) (string, bool) {
	for _, c := range key {
		if 'A' <= c && c <= 'Z' {
			return m.get(string(key))
		}
	}
	for _, p := range m.pairs {
		if p[0] == string(key) {
			return p[1], true
		}
	}
	return "", false
}

func (m *headerMap) add(key, value string) {
	key = strings.ToLower(key)
	if strings.HasPrefix(key, ":") {
		// Envoy keeps pseudo-headers before regular headers.
		i := 0
		for i < len(m.pairs) && strings.HasPrefix(m.pairs[i][0], ":") {
			i++
		}
		m.pairs = append(m.pairs, [2]string{})
		copy(m.pairs[i+1:], m.pairs[i:])
		m.pairs[i] = [2]string{key, value}
		return
	}
	m.pairs = append(m.pairs, [2]string{key, value})
}

func (m *headerMap) replace(key, value string) {
	key = strings.ToLower(key)
	for i, p := range m.pairs {
		if p[0] == key {
			m.pairs[i][1] = value
			return
		}
	}
	m.add(key, value)
}

func (m *headerMap) remove(key string) {
	key = strings.ToLower(key)
	out := m.pairs[:0]
	for _, p := range m.pairs {
		if p[0] != key {
			out = append(out, p)
		}
	}
	clear(m.pairs[len(out):])
	m.pairs = out
}

func (m *headerMap) setAll(pairs [][2]string) {
	clear(m.pairs)
	m.pairs = m.pairs[:0]
	for _, p := range pairs {
		m.add(p[0], p[1])
	}
}

func (m *headerMap) clone() [][2]string {
	if m == nil {
		return nil
	}
	return append([][2]string(nil), m.pairs...)
}

// byteSize is what Envoy's HeaderMap::byteSize counts: keys and values.
func (m *headerMap) byteSize() int {
	n := 0
	for _, p := range m.pairs {
		n += len(p[0]) + len(p[1])
	}
	return n
}

// pairsSize is the size of the proxy-wasm serialisation of pairs: a count,
// then a (key size, value size) table, then each key and value followed by
// a NUL byte.
func pairsSize(pairs [][2]string) int {
	n := 4
	for _, p := range pairs {
		n += 8 + len(p[0]) + 1 + len(p[1]) + 1
	}
	return n
}

// appendPairs appends the proxy-wasm serialisation of pairs to dst.
func appendPairs(dst []byte, pairs [][2]string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(pairs)))
	for _, p := range pairs {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p[0])))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p[1])))
	}
	for _, p := range pairs {
		dst = append(dst, p[0]...)
		dst = append(dst, 0)
		dst = append(dst, p[1]...)
		dst = append(dst, 0)
	}
	return dst
}

// EncodePairs returns the proxy-wasm serialisation of pairs (the encoding
// of header maps and of map-valued properties).
func EncodePairs(pairs [][2]string) []byte {
	return appendPairs(make([]byte, 0, pairsSize(pairs)), pairs)
}

// DecodePairs parses the proxy-wasm serialisation of pairs. It returns false
// for malformed input, as Envoy rejects it with BadArgument.
func DecodePairs(b []byte) ([][2]string, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if len(b) < 4 {
		return nil, false
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > (len(b)-4)/8 {
		return nil, false
	}
	sizes := b[4 : 4+8*n]
	data := b[4+8*n:]
	out := make([][2]string, 0, n)
	for i := 0; i < n; i++ {
		ks := int(binary.LittleEndian.Uint32(sizes[8*i:]))
		vs := int(binary.LittleEndian.Uint32(sizes[8*i+4:]))
		if ks+1 > len(data) {
			return nil, false
		}
		k := string(data[:ks])
		data = data[ks+1:]
		if vs+1 > len(data) {
			return nil, false
		}
		v := string(data[:vs])
		data = data[vs+1:]
		out = append(out, [2]string{k, v})
	}
	return out, true
}

func headerValue(pairs [][2]string, name string) string {
	name = strings.ToLower(name)
	for _, p := range pairs {
		if strings.ToLower(p[0]) == name {
			return p[1]
		}
	}
	return ""
}

func headerValues(pairs [][2]string, name string) []string {
	name = strings.ToLower(name)
	var out []string
	for _, p := range pairs {
		if strings.ToLower(p[0]) == name {
			out = append(out, p[1])
		}
	}
	return out
}
