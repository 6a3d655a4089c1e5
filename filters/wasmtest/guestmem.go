package wasmtest

import (
	"context"
	"encoding/binary"
)

// Guest memory helpers for host calls. Addresses and sizes are i32 on the
// wire; a read outside memory is InvalidMemoryAccess, as in Envoy.

func vmFrom(ctx context.Context) *VM { return ctx.Value(vmKey{}).(*VM) }

func (vm *VM) read(ptr, size uint32) ([]byte, bool) {
	if size == 0 {
		return nil, true
	}
	return vm.mem.Read(ptr, size)
}

func (vm *VM) readString(ptr, size uint32) (string, bool) {
	b, ok := vm.read(ptr, size)
	return string(b), ok
}

func (vm *VM) writeU32(ptr, v uint32) bool { return vm.mem.WriteUint32Le(ptr, v) }

func (vm *VM) writeU64(ptr uint32, v uint64) bool { return vm.mem.WriteUint64Le(ptr, v) }

// copyOut hands data to the guest as Envoy does: memory from the guest's
// proxy_on_memory_allocate (none for empty data: address 0, size 0), its
// address and size written to ptrPtr and sizePtr.
func (vm *VM) copyOut(data []byte, ptrPtr, sizePtr uint32) Status {
	var addr uint32
	if len(data) > 0 {
		vm.alloc[0] = uint64(len(data))
		if err := vm.fn.malloc.CallWithStack(vm.ctx, vm.alloc[:]); err != nil {
			vm.fail(err)
			return StatusInvalidMemoryAccess
		}
		addr = uint32(vm.alloc[0])
		if addr == 0 || !vm.mem.Write(addr, data) {
			return StatusInvalidMemoryAccess
		}
	}
	if !vm.writeU32(ptrPtr, addr) || !vm.writeU32(sizePtr, uint32(len(data))) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// copyOutPairs serialises pairs into the VM's scratch buffer and copies them
// out, without allocating on the host side once the buffer has grown.
func (vm *VM) copyOutPairs(pairs [][2]string, ptrPtr, sizePtr uint32) Status {
	vm.scratch = appendPairs(vm.scratch[:0], pairs)
	return vm.copyOut(vm.scratch, ptrPtr, sizePtr)
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }

func (vm *VM) copyOutString(s string, ptrPtr, sizePtr uint32) Status {
	var addr uint32
	if len(s) > 0 {
		vm.alloc[0] = uint64(len(s))
		if err := vm.fn.malloc.CallWithStack(vm.ctx, vm.alloc[:]); err != nil {
			vm.fail(err)
			return StatusInvalidMemoryAccess
		}
		addr = uint32(vm.alloc[0])
		if addr == 0 || !vm.mem.WriteString(addr, s) {
			return StatusInvalidMemoryAccess
		}
	}
	if !vm.writeU32(ptrPtr, addr) || !vm.writeU32(sizePtr, uint32(len(s))) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// effectiveContext resolves the context host calls act on: the one the host
// called into, or the one proxy_set_effective_context chose.
func (vm *VM) effectiveContext() (*Plugin, *filterCtx) {
	id := vm.effective
	if p, ok := vm.plugins[id]; ok {
		return p, nil
	}
	if f, ok := vm.streams[id]; ok {
		return f.plugin, f
	}
	return nil, nil
}
