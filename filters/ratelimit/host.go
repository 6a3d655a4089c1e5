package ratelimit

import (
	"errors"
	"strings"
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// now returns the wall-clock time in Unix nanoseconds; under Envoy that is
// WASI clock_time_get, the same clock for every worker VM. Native tests
// replace it with an emulated clock; compiled-wasm tests set the host's.
var now = func() int64 { return time.Now().UnixNano() }

// sharedData is Envoy's shared data as a limiter.Store.
type sharedData struct{}

func (sharedData) Get(key string) ([]byte, uint32, bool, error) {
	v, cas, err := proxywasm.GetSharedData(key)
	switch {
	case errors.Is(err, types.ErrorStatusNotFound):
		return nil, 0, false, nil
	case err != nil:
		return nil, 0, false, err
	}
	return v, cas, true, nil
}

func (sharedData) Set(key string, value []byte, cas uint32) (bool, error) {
	err := proxywasm.SetSharedData(key, value, cas)
	switch {
	case errors.Is(err, types.ErrorStatusCasMismatch):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// Property paths, as segments (the SDK joins them with NUL).
var (
	routeNamePath     = []string{"xds", "route_name"}
	sourceAddressPath = []string{"source", "address"}
)

// stringProperty returns a property's value, or "" when the host has none.
func stringProperty(path []string) string {
	v, err := proxywasm.GetProperty(path)
	if err != nil {
		return ""
	}
	return string(v)
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

// requestHeader returns a request header's value, or "" when absent.
func requestHeader(name string) string {
	v, err := proxywasm.GetHttpRequestHeader(name)
	if err != nil {
		return ""
	}
	return v
}
