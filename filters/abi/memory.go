//go:build wasip1

package waspabi

import "unsafe"

// Buffers the host asks for through proxy_on_memory_allocate hold the data a
// host call returns (a header value, a property, shared data, a body). The SDK
// keeps them without copying (internal.RawBytePtrToString,
// RawBytePtrToByteSlice, DeserializeMap all alias the buffer), and the filter
// may keep the result for as long as it likes, so a buffer is never reused.
//
// Small buffers are carved from a shared chunk instead of each being its own
// heap object: under the wasm backend one mallocgc costs the guest about as
// much as the host call itself (~0.5 µs measured in wasmtest's
// BenchmarkCallCost), and a data-returning SDK call already pays for two more
// inside the SDK. Carving is safe because Go's GC keeps a whole object alive
// while any pointer into it is live: a value the filter keeps pins its chunk,
// and a chunk nobody points into any more is collected. The cost is that a
// retained small value can pin up to chunkSize bytes, so chunks are small and
// large buffers still get their own object.
const (
	// chunkSize amortises one allocation over many small host returns
	// (typical header values and properties are tens of bytes) while
	// bounding what one retained value can pin.
	chunkSize = 1024
	// maxCarved is the largest buffer served from a chunk; larger ones (header
	// maps, bodies) are allocated alone so they never pin a chunk's neighbours
	// and a chunk is not wasted on one buffer.
	maxCarved = 128
	// carveAlign keeps every carved buffer 8-byte aligned, as a fresh heap
	// object of that size would be, for SDK code that reads numbers from it.
	carveAlign = 8
)

// chunk is the current chunk and used how much of it is handed out. The
// variable keeps the chunk reachable while its latest buffer is known to the
// host only by address.
var (
	chunk []byte
	used  int
)

// pending keeps every other buffer handed to the host reachable until the
// host call that asked for it has returned and the SDK holds a typed pointer
// to it. Go's GC is precise: a buffer known to the host only by its 32-bit
// address would otherwise be garbage. The host allocates at most one buffer
// per returning host call, so clearing after each such call suffices.
var pending [][]byte

//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) uint32 {
	if appending { // a direct call (direct.go): into the caller's buffer
		return appendAlloc(size)
	}
	if size == 0 {
		size = 1 // &buf[0] needs an element; the host reads size bytes
	}
	if size > maxCarved {
		buf := make([]byte, size)
		pending = append(pending, buf)
		return addrOf(buf)
	}
	n := (int(size) + carveAlign - 1) &^ (carveAlign - 1)
	if used+n > len(chunk) {
		if chunk != nil {
			// An earlier buffer of this host call may live in the old chunk
			// and not be typed yet: keep the chunk until the call returns.
			pending = append(pending, chunk)
		}
		chunk, used = make([]byte, chunkSize), 0
	}
	addr := addrOf(chunk[used:])
	used += n
	return addr
}

func addrOf(buf []byte) uint32 { return uint32(uintptr(unsafe.Pointer(&buf[0]))) }

// releasePending drops the host-allocation references once the caller has
// turned the returned address into a Go pointer (which now keeps it alive).
func releasePending() {
	if len(pending) == 0 {
		return // the common case: nothing but the chunk was used
	}
	clear(pending)
	pending = pending[:0]
}

// ptr converts an address the host wrote into guest memory back to a pointer.
// The address was produced by proxyOnMemoryAllocate, so it points into a live
// Go heap object.
func ptr(addr uint32) *byte {
	if addr == 0 {
		return nil
	}
	return (*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(addr)))
}
