package wasmtest

// Shared data as Envoy implements it (proxy-wasm-cpp-host src/shared_data.cc):
// keys are namespaced by vm_id; set checks cas only when the key exists and
// cas is non-zero, so an absent key is inserted unconditionally; every
// successful set gets a fresh, never-zero cas; ABI 0.2.1 has no delete.

type sharedValue struct {
	value []byte
	cas   uint32
}

// nextCAS returns the next cas value, skipping zero (which means "no cas
// check") when the counter wraps. Called with h.mu held.
func (h *Host) nextCAS() uint32 {
	cas := h.casIndex
	h.casIndex++
	if h.casIndex == 0 {
		h.casIndex++
	}
	return cas
}

func (h *Host) getSharedData(vmID, key string) ([]byte, uint32, Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.sharedData[vmID][key]
	if !ok {
		return nil, 0, StatusNotFound
	}
	return v.value, v.cas, StatusOK
}

func (h *Host) setSharedData(vmID, key string, value []byte, cas uint32) Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.sharedData[vmID]
	if m == nil {
		m = map[string]sharedValue{}
		h.sharedData[vmID] = m
	}
	if old, ok := m[key]; ok && cas != 0 && cas != old.cas {
		return StatusCasMismatch
	}
	m[key] = sharedValue{value: append([]byte(nil), value...), cas: h.nextCAS()}
	return StatusOK
}

// SharedData returns the value and cas stored under key in the vm_id
// namespace vmID, as a plugin of that VM would read it.
func (h *Host) SharedData(vmID, key string) (value []byte, cas uint32, ok bool) {
	v, cas, st := h.getSharedData(vmID, key)
	return append([]byte(nil), v...), cas, st == StatusOK
}

// SetSharedData stores value under key in the vm_id namespace vmID with
// Envoy's semantics (cas 0 = unconditional), as a plugin would.
func (h *Host) SetSharedData(vmID, key string, value []byte, cas uint32) Status {
	return h.setSharedData(vmID, key, value, cas)
}

// SharedDataKeys lists the keys of the vm_id namespace vmID, sorted.
func (h *Host) SharedDataKeys(vmID string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return sortedKeys(h.sharedData[vmID])
}
