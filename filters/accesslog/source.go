package accesslog

import (
	"encoding/binary"
	"time"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
	"wasp.dev/filters/internal/hostcall"
)

// Envoy attribute paths (envoy/source/extensions/filters/common/expr and the
// Wasm context). Integers, timestamps and durations arrive as 8-byte
// little-endian int64 (timestamps and durations in nanoseconds).
// Paths are NUL-joined segments, as the ABI carries them.
const (
	pathRequestTime      = "request\x00time"
	pathRequestDuration  = "request\x00duration"
	pathRequestTotalSize = "request\x00total_size"
	pathRequestSize      = "request\x00size"
	pathResponseSize     = "response\x00size"
	pathResponseCode     = "response\x00code"
	pathResponseFlags    = "response\x00flags"
	pathRateLimited      = config.RateLimitedFilterStateKey
)

var stringPaths = map[format.Field]string{
	format.Protocol:                "request\x00protocol",
	format.ResponseCodeDetails:     "response\x00code_details",
	format.UpstreamHost:            "upstream\x00address",
	format.UpstreamCluster:         "xds\x00cluster_name",
	format.DownstreamRemoteAddress: "source\x00address",
	format.DownstreamLocalAddress:  "destination\x00address",
	format.RouteName:               "xds\x00route_name",
}

// requestSource reads one request's values from the host, each at most
// once, and only those the format uses. Strings live in arena, which is
// reused from request to request: they are valid until the next reset, and
// nothing keeps them longer (lines and OTLP records are copies).
type requestSource struct {
	hostname                  string
	requestEnd, responseStart time.Time

	numbers [8]cached[int64]
	strings [stringFields]cached[string]
	start   cached[time.Time]
	flags   cached[uint64]
	maps    [len(headerMaps)]cached[bool]

	arena   []byte                  // string values of this request
	num     []byte                  // a number's bytes, decoded at once
	mapBufs [len(headerMaps)][]byte // serialized header maps of this request
}

type cached[T any] struct {
	done, ok bool
	v        T
}

func (c *cached[T]) get(load func() (T, bool)) (T, bool) {
	if !c.done {
		c.v, c.ok = load()
		c.done = true
	}
	return c.v, c.ok
}

// stringFields is the number of string fields, format.Protocol through
// format.Hostname.
const stringFields = int(format.Hostname-format.Protocol) + 1

// reset prepares s for a new request. One requestSource per plugin is
// reused: the VM is single-threaded and a source lives only inside
// proxy_on_log, so reuse saves an allocation per request.
func (s *requestSource) reset(hostname string, requestEnd, responseStart time.Time) *requestSource {
	arena, num, mapBufs := s.arena[:0], s.num[:0], s.mapBufs
	*s = requestSource{hostname: hostname, requestEnd: requestEnd, responseStart: responseStart,
		arena: arena, num: num, mapBufs: mapBufs}
	return s
}

func (s *requestSource) propertyInt(path string) (int64, bool) {
	b, st := hostcall.AppendProperty(s.num[:0], path)
	s.num = b
	if st != hostcall.OK || len(b) != 8 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b)), true
}

// appended returns the string view of what a host call appended to the
// arena after start.
func (s *requestSource) appended(start int, st hostcall.Status) (string, bool) {
	if st != hostcall.OK {
		return "", false
	}
	v := s.arena[start:]
	return unsafe.String(unsafe.SliceData(v), len(v)), true
}

func (s *requestSource) propertyString(path string) (string, bool) {
	start := len(s.arena)
	var st hostcall.Status
	s.arena, st = hostcall.AppendProperty(s.arena, path)
	return s.appended(start, st)
}

// propertyString reads a property through the SDK (configuration time).
func propertyString(path []string) (string, bool) {
	b, err := proxywasm.GetProperty(path)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func (s *requestSource) StartTime() (time.Time, bool) {
	return s.start.get(func() (time.Time, bool) {
		n, ok := s.propertyInt(pathRequestTime)
		if !ok {
			return time.Time{}, false
		}
		return time.Unix(0, n).UTC(), true
	})
}

func (s *requestSource) Number(f format.Field) (int64, bool) {
	if int(f) >= len(s.numbers) {
		return 0, false
	}
	return s.numbers[f].get(func() (int64, bool) { return s.loadNumber(f) })
}

func (s *requestSource) loadNumber(f format.Field) (int64, bool) {
	switch f {
	case format.ResponseCode:
		return s.propertyInt(pathResponseCode)
	case format.BytesSent:
		return s.propertyInt(pathResponseSize) // Envoy: bytesSent()
	case format.BytesReceived:
		// request.size prefers Content-Length. request.total_size is
		// Envoy's bytesReceived() plus the request headers' byteSize(), which
		// is computable from the same header map the filter reads.
		if total, ok := s.propertyInt(pathRequestTotalSize); ok {
			if hdr, ok := s.requestHeaderBytes(); ok && total >= hdr {
				return total - hdr, true
			}
		}
		return s.propertyInt(pathRequestSize)
	case format.Duration:
		return s.propertyInt(pathRequestDuration)
	case format.RequestDuration:
		return s.sinceStart(s.requestEnd)
	case format.ResponseDuration:
		return s.sinceStart(s.responseStart)
	}
	return 0, false
}

func (s *requestSource) sinceStart(t time.Time) (int64, bool) {
	start, ok := s.StartTime()
	if !ok || t.IsZero() {
		return 0, false
	}
	d := t.Sub(start)
	if d < 0 {
		d = 0
	}
	return int64(d), true
}

func (s *requestSource) String(f format.Field) (string, bool) {
	i := int(f) - int(format.Protocol)
	if i < 0 || i >= len(s.strings) {
		return "", false
	}
	return s.strings[i].get(func() (string, bool) {
		if f == format.Hostname {
			return s.hostname, s.hostname != ""
		}
		path, ok := stringPaths[f]
		if !ok {
			return "", false
		}
		return s.propertyString(path)
	})
}

// ResponseFlags merges Envoy's flags with wasp's: a Wasm local reply cannot
// set Envoy's RL flag, so the rate limiter leaves a filter-state marker.
func (s *requestSource) ResponseFlags() uint64 {
	v, _ := s.flags.get(func() (uint64, bool) {
		n, _ := s.propertyInt(pathResponseFlags)
		flags := uint64(n)
		if b, st := hostcall.AppendProperty(s.num[:0], pathRateLimited); st == hostcall.OK && len(b) > 0 {
			flags |= format.RateLimited
		}
		return flags, true
	})
	return v
}

// headerMaps are the ABI's map types by format.HeaderKind.
var headerMaps = [...]uint32{
	format.RequestHeader:   hostcall.RequestHeaders,
	format.ResponseHeader:  hostcall.ResponseHeaders,
	format.ResponseTrailer: hostcall.ResponseTrailers,
}

// headerMap fetches a header map once per request (one host call serves
// every header a format reads: formats like the seed's read five or more,
// two of them twice for X-ENVOY-ORIGINAL-*?:* fallbacks) into a reused
// buffer, serialized as the ABI returns it.
func (s *requestSource) headerMap(kind format.HeaderKind) ([]byte, bool) {
	ok, _ := s.maps[kind].get(func() (bool, bool) {
		var st hostcall.Status
		s.mapBufs[kind], st = hostcall.AppendHeaderPairs(s.mapBufs[kind][:0], headerMaps[kind])
		return st == hostcall.OK, true
	})
	return s.mapBufs[kind], ok
}

// Header looks a header up in its map. Envoy's lookup returns the first
// value, and an empty one counts as absent (proxy_get_header_map_value
// answers NotFound).
func (s *requestSource) Header(kind format.HeaderKind, name string) (string, bool) {
	if int(kind) >= len(headerMaps) {
		return "", false
	}
	m, ok := s.headerMap(kind)
	if !ok {
		return "", false
	}
	v, ok := hostcall.Lookup(m, name)
	return v, ok && v != ""
}

// requestHeaderBytes is Envoy's HeaderMap::byteSize of the request headers:
// the sum of the names' and values' lengths.
func (s *requestSource) requestHeaderBytes() (int64, bool) {
	m, ok := s.headerMap(format.RequestHeader)
	if !ok {
		return 0, false
	}
	_, n, ok := hostcall.PairsSize(m)
	return n, ok
}

func (s *requestSource) FilterState(key string) (string, bool) {
	return s.propertyString("filter_state\x00" + key)
}
