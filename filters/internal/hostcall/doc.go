// Package hostcall is the built-in filters' allocation-free host-call
// layer. In the compiled module (wasip1) it calls the proxy-wasm ABI through
// wasp's bridge (filters/abi direct.go), appending returned bytes to the
// caller's reusable buffers; natively (tests under the SDK's proxytest
// emulator) it calls the SDK, which allocates, so the filters' code is the
// same both ways. Users' filters use the SDK API; see
// docs/adr/0004-builtin-filters-one-vm.md for why the built-in ones do not.
//
// A property path is its segments joined with NUL ("xds\x00route_name"),
// as the ABI carries it.
package hostcall

import "unsafe"

// Status is a proxy-wasm ABI status.
type Status uint32

// The statuses callers distinguish; anything else not OK is a failure.
const (
	OK          Status = 0
	NotFound    Status = 1
	CasMismatch Status = 8
)

// Header map types.
const (
	RequestHeaders   uint32 = 0
	ResponseHeaders  uint32 = 2
	ResponseTrailers uint32 = 3
)

// PairsSize returns the number of pairs of a serialized header map and the
// sum of its names' and values' lengths, without decoding it.
func PairsSize(pairs []byte) (n int, bytes int64, ok bool) {
	if len(pairs) < 4 {
		return 0, 0, len(pairs) == 0
	}
	n = int(le32(pairs))
	if len(pairs) < 4+8*n {
		return 0, 0, false
	}
	for i := 0; i < n; i++ {
		bytes += int64(le32(pairs[4+8*i:])) + int64(le32(pairs[8+8*i:]))
	}
	return n, bytes, true
}

// Lookup returns the first value of header name in a serialized header map
// (a view into pairs, valid while pairs is), as proxy_get_header_map_value
// would: one map fetch serves every header a caller reads.
func Lookup(pairs []byte, name string) (string, bool) {
	n, _, ok := PairsSize(pairs)
	if !ok {
		return "", false
	}
	data := 4 + 8*n
	for i := 0; i < n; i++ {
		k, v := int(le32(pairs[4+8*i:])), int(le32(pairs[8+8*i:]))
		if data+k+1+v+1 > len(pairs) {
			return "", false
		}
		if string(pairs[data:data+k]) == name {
			return view(pairs[data+k+1 : data+k+1+v]), true
		}
		data += k + 1 + v + 1
	}
	return "", false
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// AppendPairs appends the pairs of a serialized header map to dst as views
// into pairs (valid while pairs is, and while pairs is not changed): the
// filter reads a map once into a reused buffer and decodes it without
// copying a name or value.
func AppendPairs(dst [][2]string, pairs []byte) ([][2]string, bool) {
	n, _, ok := PairsSize(pairs)
	if !ok {
		return dst, false
	}
	data := 4 + 8*n
	for i := 0; i < n; i++ {
		k, v := int(le32(pairs[4+8*i:])), int(le32(pairs[8+8*i:]))
		if data+k+1+v+1 > len(pairs) {
			return dst, false
		}
		dst = append(dst, [2]string{view(pairs[data : data+k]), view(pairs[data+k+1 : data+k+1+v])})
		data += k + 1 + v + 1
	}
	return dst, true
}

func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
