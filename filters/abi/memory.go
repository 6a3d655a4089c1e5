//go:build wasip1

package waspabi

import "unsafe"

// pending keeps every buffer handed to the host by proxy_on_memory_allocate
// reachable until the host call that asked for it has returned and the SDK holds
// a typed pointer to it. Go's GC is precise: a buffer known to the host only by
// its 32-bit address would otherwise be garbage. The host allocates at most one
// buffer per returning host call, so clearing after each such call suffices.
var pending [][]byte

//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) uint32 {
	if size == 0 {
		size = 1 // &buf[0] needs an element; the host reads size bytes
	}
	buf := make([]byte, size)
	pending = append(pending, buf)
	return uint32(uintptr(unsafe.Pointer(&buf[0])))
}

// releasePending drops the host-allocation references once the caller has
// turned the returned address into a Go pointer (which now keeps it alive).
func releasePending() {
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
