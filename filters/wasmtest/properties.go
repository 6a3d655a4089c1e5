package wasmtest

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
)

// Property values in Envoy's binary encodings (facts.md): strings as their
// bytes, integers and doubles as 8 bytes little-endian, bools as one byte,
// timestamps and durations as int64 nanoseconds, maps as proxy-wasm pairs.

// PropString encodes a string property.
func PropString(s string) []byte { return []byte(s) }

// PropInt64 encodes an int64 property (e.g. source.port, response.code).
func PropInt64(v int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(v)) }

// PropUint64 encodes a uint64 property (e.g. connection_id).
func PropUint64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// PropDouble encodes a double property.
func PropDouble(v float64) []byte { return PropUint64(math.Float64bits(v)) }

// PropBool encodes a bool property (e.g. connection.mtls).
func PropBool(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}

// PropTime encodes a timestamp property (e.g. request.time).
func PropTime(t time.Time) []byte { return PropInt64(t.UnixNano()) }

// PropDuration encodes a duration property (e.g. request.duration).
func PropDuration(d time.Duration) []byte { return PropInt64(int64(d)) }

// PropMap encodes a map property (e.g. request.headers).
func PropMap(pairs [][2]string) []byte { return EncodePairs(pairs) }

// propertyKey turns a dotted path ("xds.route_name") into the wire form the
// SDKs send: segments joined by NUL.
func propertyKey(path string) string { return strings.ReplaceAll(path, ".", "\x00") }

// Default connection attributes of every exchange; a request's Properties
// override them.
var defaultStreamProperties = map[string][]byte{
	propertyKey("source.address"):      PropString("10.0.0.1:45678"),
	propertyKey("source.port"):         PropInt64(45678),
	propertyKey("destination.address"): PropString("10.0.0.2:8080"),
	propertyKey("destination.port"):    PropInt64(8080),
	propertyKey("connection.mtls"):     PropBool(false),
}

// lookupProperty resolves a property path for a context: the request's own
// attributes, then the computed request/response attributes, the
// Wasm-specific ones, the host-wide ones, and last filter state
// "wasm.<path>" (Envoy's fallback for an unknown top-level name).
func (vm *VM) lookupProperty(key string) ([]byte, bool) {
	plugin, f := vm.effectiveContext()
	if f != nil {
		s := f.s
		if v, ok := s.props[key]; ok {
			return v, true
		}
		if v, ok := s.computed(key); ok {
			return v, true
		}
	}
	if plugin != nil {
		switch key {
		case "plugin_name":
			return []byte(plugin.cfg.Name), true
		case "plugin_root_id":
			return []byte(plugin.cfg.RootID), true
		case "plugin_vm_id":
			return []byte(vm.cfg.ID), true
		}
	}
	if v, ok := vm.host.property(key); ok {
		return v, true
	}
	if f != nil {
		if v, ok := f.s.filterState["wasm."+key]; ok {
			return v, true
		}
		if v, ok := defaultStreamProperties[key]; ok {
			return v, true
		}
	}
	return nil, false
}

// computed derives request.*, response.* and connection_id from the stream,
// as Envoy's attribute lookup does from the live header maps.
func (s *stream) computed(key string) ([]byte, bool) {
	req := func(name string) ([]byte, bool) {
		v, ok := s.reqHeaders.get(name)
		return []byte(v), ok
	}
	switch key {
	case "request\x00path":
		return req(":path")
	case "request\x00url_path":
		p, ok := s.reqHeaders.get(":path")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return []byte(p), ok
	case "request\x00query":
		p, ok := s.reqHeaders.get(":path")
		q := ""
		if i := strings.IndexByte(p, '?'); i >= 0 {
			q = p[i+1:]
		}
		return []byte(q), ok
	case "request\x00host":
		return req(":authority")
	case "request\x00scheme":
		return req(":scheme")
	case "request\x00method":
		return req(":method")
	case "request\x00referer":
		return req("referer")
	case "request\x00useragent":
		return req("user-agent")
	case "request\x00id":
		return req("x-request-id")
	case "request\x00protocol":
		return []byte(s.protocol), true
	case "request\x00headers":
		return EncodePairs(s.reqHeaders.pairs), true
	case "request\x00time":
		return PropTime(s.start), true
	case "request\x00size":
		return PropInt64(int64(s.reqBodySize)), true
	case "request\x00total_size":
		return PropInt64(int64(s.reqBodySize + s.reqHeaders.byteSize())), true
	case "request\x00duration":
		if s.end.IsZero() {
			return nil, false
		}
		return PropDuration(s.end.Sub(s.start)), true
	case "response\x00code":
		if s.responseCode == 0 {
			return nil, false
		}
		return PropInt64(int64(s.responseCode)), true
	case "response\x00code_details":
		if s.responseCodeDetails == "" && s.responseCode == 0 {
			return nil, false
		}
		d := s.responseCodeDetails
		if d == "" {
			d = "via_upstream"
		}
		return []byte(d), true
	case "response\x00flags":
		return PropUint64(0), true
	case "response\x00headers":
		if s.respHeaders == nil {
			return nil, false
		}
		return EncodePairs(s.respHeaders.pairs), true
	case "response\x00trailers":
		if s.respTrailers == nil {
			return nil, false
		}
		return EncodePairs(s.respTrailers.pairs), true
	case "response\x00size":
		return PropInt64(int64(s.respBodySize)), true
	case "response\x00total_size":
		n := s.respBodySize
		if s.respHeaders != nil {
			n += s.respHeaders.byteSize()
		}
		return PropInt64(int64(n)), true
	case "connection_id":
		return PropUint64(s.connectionID), true
	}
	return nil, false
}
