//go:build !wasip1

package hostcall

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Natively the calls go through the SDK (and so the proxytest emulator).

func status(err error) Status {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, types.ErrorStatusNotFound):
		return NotFound
	case errors.Is(err, types.ErrorStatusCasMismatch):
		return CasMismatch
	}
	return 10 // InternalFailure
}

func segments(path string) []string { return strings.Split(path, "\x00") }

func AppendProperty(dst []byte, path string) ([]byte, Status) {
	v, err := proxywasm.GetProperty(segments(path))
	return append(dst, v...), status(err)
}

func AppendHeader(dst []byte, mapType uint32, name string) ([]byte, Status) {
	var v string
	var err error
	switch mapType {
	case RequestHeaders:
		v, err = proxywasm.GetHttpRequestHeader(name)
	case ResponseHeaders:
		v, err = proxywasm.GetHttpResponseHeader(name)
	default:
		v, err = proxywasm.GetHttpResponseTrailer(name)
	}
	return append(dst, v...), status(err)
}

func AppendHeaderPairs(dst []byte, mapType uint32) ([]byte, Status) {
	var hs [][2]string
	var err error
	switch mapType {
	case RequestHeaders:
		hs, err = proxywasm.GetHttpRequestHeaders()
	case ResponseHeaders:
		hs, err = proxywasm.GetHttpResponseHeaders()
	default:
		hs, err = proxywasm.GetHttpResponseTrailers()
	}
	if err != nil {
		return dst, status(err)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(hs)))
	for _, h := range hs {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(h[0])))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(h[1])))
	}
	for _, h := range hs {
		dst = append(append(append(append(dst, h[0]...), 0), h[1]...), 0)
	}
	return dst, OK
}

func AppendSharedData(dst []byte, key string) ([]byte, uint32, Status) {
	v, cas, err := proxywasm.GetSharedData(key)
	return append(dst, v...), cas, status(err)
}

func SetSharedData(key string, value []byte, cas uint32) Status {
	return status(proxywasm.SetSharedData(key, bytes.Clone(value), cas))
}

// SetProperty copies value: the emulator keeps the slice it is given.
func SetProperty(path string, value []byte) Status {
	return status(proxywasm.SetProperty(segments(path), bytes.Clone(value)))
}

// ReplaceHeader copies name and value (as AddHeader does): the emulator
// keeps the strings it is given, and callers may pass views of buffers they
// reuse.
func ReplaceHeader(mapType uint32, name, value string) Status {
	name, value = strings.Clone(name), strings.Clone(value)
	if mapType == RequestHeaders {
		return status(proxywasm.ReplaceHttpRequestHeader(name, value))
	}
	return status(proxywasm.ReplaceHttpResponseHeader(name, value))
}

// AddHeader goes through the whole map: the SDK's emulator adds a value to
// an existing header by concatenating the two strings, where Envoy adds an
// entry (or joins the values with a comma for its inline headers).
func AddHeader(mapType uint32, name, value string) Status {
	hs, st := headerMap(mapType)
	if st != OK {
		return st
	}
	return setHeaderMap(mapType, append(hs, [2]string{strings.Clone(name), strings.Clone(value)}))
}

// RemoveHeader goes through the whole map: the SDK's emulator removes only
// the first value, where Envoy removes them all.
func RemoveHeader(mapType uint32, name string) Status {
	hs, st := headerMap(mapType)
	if st != OK {
		return st
	}
	return setHeaderMap(mapType, slices.DeleteFunc(hs, func(h [2]string) bool { return h[0] == name }))
}

func headerMap(mapType uint32) ([][2]string, Status) {
	var hs [][2]string
	var err error
	if mapType == RequestHeaders {
		hs, err = proxywasm.GetHttpRequestHeaders()
	} else {
		hs, err = proxywasm.GetHttpResponseHeaders()
	}
	return hs, status(err)
}

func setHeaderMap(mapType uint32, hs [][2]string) Status {
	if mapType == RequestHeaders {
		return status(proxywasm.ReplaceHttpRequestHeaders(hs))
	}
	return status(proxywasm.ReplaceHttpResponseHeaders(hs))
}

// AppendBody: the SDK answers NotFound for an empty body, as the ABI's Ok
// with no data does.
func AppendBody(dst []byte, request bool, start, size int) ([]byte, Status) {
	var v []byte
	var err error
	if request {
		v, err = proxywasm.GetHttpRequestBody(start, size)
	} else {
		v, err = proxywasm.GetHttpResponseBody(start, size)
	}
	return append(dst, v...), status(err)
}

// ReplaceBody copies b: the emulator keeps the slice it is given.
func ReplaceBody(request bool, b []byte) Status {
	if request {
		return status(proxywasm.ReplaceHttpRequestBody(bytes.Clone(b)))
	}
	return status(proxywasm.ReplaceHttpResponseBody(bytes.Clone(b)))
}

func IncrementMetric(id uint32, delta int64) (st Status) {
	defer func() {
		if recover() != nil {
			st = 10
		}
	}()
	proxywasm.MetricCounter(id).Increment(uint64(delta))
	return OK
}
