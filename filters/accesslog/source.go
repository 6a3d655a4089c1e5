package accesslog

import (
	"encoding/binary"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
)

// Envoy attribute paths (envoy/source/extensions/filters/common/expr and the
// Wasm context). Integers, timestamps and durations arrive as 8-byte
// little-endian int64 (timestamps and durations in nanoseconds).
var (
	pathRequestTime      = []string{"request", "time"}
	pathRequestDuration  = []string{"request", "duration"}
	pathRequestTotalSize = []string{"request", "total_size"}
	pathRequestSize      = []string{"request", "size"}
	pathResponseSize     = []string{"response", "size"}
	pathResponseCode     = []string{"response", "code"}
	pathResponseFlags    = []string{"response", "flags"}
	pathRateLimited      = []string{config.RateLimitedFilterStateKey}

	stringPaths = map[format.Field][]string{
		format.Protocol:                {"request", "protocol"},
		format.ResponseCodeDetails:     {"response", "code_details"},
		format.UpstreamHost:            {"upstream", "address"},
		format.UpstreamCluster:         {"xds", "cluster_name"},
		format.DownstreamRemoteAddress: {"source", "address"},
		format.DownstreamLocalAddress:  {"destination", "address"},
		format.RouteName:               {"xds", "route_name"},
	}
)

// requestSource reads one request's values from the host, each at most once.
type requestSource struct {
	hostname                  string
	requestEnd, responseStart time.Time

	numbers [8]cached[int64]
	headers [3]cached[[][2]string]
	strings [stringFields]cached[string]
	start   cached[time.Time]
	flags   cached[uint64]
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
	*s = requestSource{hostname: hostname, requestEnd: requestEnd, responseStart: responseStart}
	return s
}

func propertyInt(path []string) (int64, bool) {
	b, err := proxywasm.GetProperty(path)
	if err != nil || len(b) != 8 {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b)), true
}

func propertyString(path []string) (string, bool) {
	b, err := proxywasm.GetProperty(path)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func (s *requestSource) StartTime() (time.Time, bool) {
	return s.start.get(func() (time.Time, bool) {
		n, ok := propertyInt(pathRequestTime)
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
		return propertyInt(pathResponseCode)
	case format.BytesSent:
		return propertyInt(pathResponseSize) // Envoy: bytesSent()
	case format.BytesReceived:
		// request.size prefers Content-Length. request.total_size is
		// Envoy's bytesReceived() plus the request headers' byteSize(), which
		// is computable from the same header map the filter reads.
		if total, ok := propertyInt(pathRequestTotalSize); ok {
			if hdr, ok := s.requestHeaderBytes(); ok && total >= hdr {
				return total - hdr, true
			}
		}
		return propertyInt(pathRequestSize)
	case format.Duration:
		return propertyInt(pathRequestDuration)
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
		return propertyString(path)
	})
}

// ResponseFlags merges Envoy's flags with wasp's: a Wasm local reply cannot
// set Envoy's RL flag, so the rate limiter leaves a filter-state marker.
func (s *requestSource) ResponseFlags() uint64 {
	v, _ := s.flags.get(func() (uint64, bool) {
		n, _ := propertyInt(pathResponseFlags)
		flags := uint64(n)
		if b, err := proxywasm.GetProperty(pathRateLimited); err == nil && len(b) > 0 {
			flags |= format.RateLimited
		}
		return flags, true
	})
	return v
}

// Header looks a header up in the map fetched whole on first use: one host
// call (and one guest allocation) instead of one per operator, which matters
// because formats like the seed's read five or more request headers.
func (s *requestSource) Header(kind format.HeaderKind, name string) (string, bool) {
	if int(kind) >= len(s.headers) {
		return "", false
	}
	pairs, _ := s.headers[kind].get(func() ([][2]string, bool) {
		var hs [][2]string
		var err error
		switch kind {
		case format.RequestHeader:
			hs, err = proxywasm.GetHttpRequestHeaders()
		case format.ResponseHeader:
			hs, err = proxywasm.GetHttpResponseHeaders()
		case format.ResponseTrailer:
			hs, err = proxywasm.GetHttpResponseTrailers()
		}
		return hs, err == nil
	})
	for _, h := range pairs {
		// Envoy's lookup returns the first value and treats an empty one as
		// absent (proxy_get_header_map_value answers NotFound).
		if h[0] == name {
			return h[1], h[1] != ""
		}
	}
	return "", false
}

// requestHeaderBytes is Envoy's HeaderMap::byteSize of the request headers:
// the sum of the names' and values' lengths.
func (s *requestSource) requestHeaderBytes() (int64, bool) {
	s.Header(format.RequestHeader, "") // fetch the map
	pairs := s.headers[format.RequestHeader]
	if !pairs.ok {
		return 0, false
	}
	var n int64
	for _, h := range pairs.v {
		n += int64(len(h[0]) + len(h[1]))
	}
	return n, true
}

func (s *requestSource) FilterState(key string) (string, bool) {
	return propertyString([]string{"filter_state", key})
}
