package ratelimit

import (
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"wasp.dev/filters/internal/hostcall"
)

// now returns the wall-clock time in Unix nanoseconds; under Envoy that is
// WASI clock_time_get, the same clock for every worker VM. Native tests
// replace it with an emulated clock; compiled-wasm tests set the host's.
var now = func() int64 { return time.Now().UnixNano() }

// sharedData is Envoy's shared data as a limiter.Store. The value Get
// returns lives in buf until the next Get: the limiter decodes it at once.
type sharedData struct{ buf *[]byte }

func newSharedData() sharedData { return sharedData{buf: new([]byte)} }

func (s sharedData) Get(key string) ([]byte, uint32, bool, error) {
	v, cas, st := hostcall.AppendSharedData((*s.buf)[:0], key)
	*s.buf = v
	switch st {
	case hostcall.OK:
		return v, cas, true, nil
	case hostcall.NotFound:
		return nil, 0, false, nil
	}
	return nil, 0, false, statusError(st)
}

func (sharedData) Set(key string, value []byte, cas uint32) (bool, error) {
	switch st := hostcall.SetSharedData(key, value, cas); st {
	case hostcall.OK:
		return true, nil
	case hostcall.CasMismatch:
		return false, nil
	default:
		return false, statusError(st)
	}
}

// statusError is a failed host call's status as an error (logged, counted).
type statusError hostcall.Status

func (e statusError) Error() string { return "host call failed with status " + strconv.Itoa(int(e)) }

// Property paths, NUL-joined as the ABI carries them.
const (
	routeNamePath     = "xds\x00route_name"
	sourceAddressPath = "source\x00address"
)

// scratch is a reusable buffer for one kind of host value; the string view
// of what it holds is valid until its next read (the VM runs one callback
// at a time, and nothing keeps these strings past the callback).
type scratch struct{ buf []byte }

func (s *scratch) property(path string) string {
	v, st := hostcall.AppendProperty(s.buf[:0], path)
	s.buf = v
	if st != hostcall.OK {
		return ""
	}
	return unsafe.String(unsafe.SliceData(v), len(v))
}

func (s *scratch) requestHeader(name string) string {
	v, st := hostcall.AppendHeader(s.buf[:0], hostcall.RequestHeaders, name)
	s.buf = v
	if st != hostcall.OK {
		return ""
	}
	return unsafe.String(unsafe.SliceData(v), len(v))
}

// requestHeaderJoined returns every value of a request header joined with
// ",", as a proxy chain means it: the host's single-value get returns only
// the first of repeated headers, and a forwarding header's right-most
// entries (the ones our trusted proxies appended) may sit in a later one.
func requestHeaderJoined(name string) string {
	pairs, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		return ""
	}
	var joined strings.Builder
	for _, kv := range pairs {
		if !strings.EqualFold(kv[0], name) {
			continue
		}
		if joined.Len() > 0 {
			joined.WriteByte(',')
		}
		joined.WriteString(kv[1])
	}
	return joined.String()
}
