//go:build wasip1

package hostcall

import waspabi "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/waspabi"

// AppendProperty appends the property's value to dst.
func AppendProperty(dst []byte, path string) ([]byte, Status) {
	out, st := waspabi.AppendProperty(dst, path)
	return out, Status(st)
}

// AppendHeader appends the first value of header name of map mapType.
func AppendHeader(dst []byte, mapType uint32, name string) ([]byte, Status) {
	out, st := waspabi.AppendHeaderValue(dst, mapType, name)
	return out, Status(st)
}

// AppendHeaderPairs appends the serialized header map (see PairsSize).
func AppendHeaderPairs(dst []byte, mapType uint32) ([]byte, Status) {
	out, st := waspabi.AppendHeaderPairs(dst, mapType)
	return out, Status(st)
}

// AppendSharedData appends shared-data key's value and returns its CAS.
func AppendSharedData(dst []byte, key string) ([]byte, uint32, Status) {
	out, cas, st := waspabi.AppendSharedData(dst, key)
	return out, cas, Status(st)
}

// SetSharedData stores value under key if its CAS is still cas (0: always).
func SetSharedData(key string, value []byte, cas uint32) Status {
	return Status(waspabi.SetSharedData(key, value, cas))
}

// SetProperty stores value in filter state; the caller may reuse value.
func SetProperty(path string, value []byte) Status {
	return Status(waspabi.SetProperty(path, value))
}

// ReplaceHeader sets header name of map mapType.
func ReplaceHeader(mapType uint32, name, value string) Status {
	return Status(waspabi.ReplaceHeaderValue(mapType, name, value))
}

// IncrementMetric adds delta to counter id.
func IncrementMetric(id uint32, delta int64) Status {
	return Status(waspabi.IncrementMetric(id, delta))
}

// AddHeader adds a value of header name to map mapType.
func AddHeader(mapType uint32, name, value string) Status {
	return Status(waspabi.AddHeaderValue(mapType, name, value))
}

// RemoveHeader removes every value of header name from map mapType.
func RemoveHeader(mapType uint32, name string) Status {
	return Status(waspabi.RemoveHeaderValue(mapType, name))
}

// AppendBody appends up to size bytes of the request (or response) body
// from start to dst.
func AppendBody(dst []byte, request bool, start, size int) ([]byte, Status) {
	out, st := waspabi.AppendBufferBytes(dst, bodyBuffer(request), start, size)
	return out, Status(st)
}

// ReplaceBody replaces the request (or response) body with b; the host
// copies b, so the caller may reuse it.
func ReplaceBody(request bool, b []byte) Status {
	return Status(waspabi.ReplaceBufferBytes(bodyBuffer(request), b))
}

func bodyBuffer(request bool) uint32 {
	if request {
		return waspabi.BufferHttpRequestBody
	}
	return waspabi.BufferHttpResponseBody
}
