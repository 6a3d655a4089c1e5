package limiter

import "sync"

// Store is proxy-wasm shared data as Envoy implements it (proxy-wasm-cpp-host
// src/shared_data.cc): Get returns the value and its CAS token; Set with a
// non-zero cas succeeds only if the key's token is still cas; Set with cas 0,
// or on an absent key, writes unconditionally. There is no delete.
type Store interface {
	// Get returns found=false for an absent key.
	Get(key string) (value []byte, cas uint32, found bool, err error)
	// Set returns ok=false on a CAS mismatch.
	Set(key string, value []byte, cas uint32) (ok bool, err error)
}

// MemoryStore is an in-process Store with Envoy's semantics, safe for
// concurrent use: several Limiters over one MemoryStore behave like worker
// VMs over one Envoy process's shared data.
type MemoryStore struct {
	mu      sync.Mutex
	nextCAS uint32
	entries map[string]memoryEntry
	// BetweenGetAndSet, if set, runs after every Get, outside the lock:
	// tests use it to let another VM act inside a CAS window.
	BetweenGetAndSet func(key string)
}

type memoryEntry struct {
	value []byte
	cas   uint32
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{entries: map[string]memoryEntry{}}
}

// Get implements Store.
func (m *MemoryStore) Get(key string) ([]byte, uint32, bool, error) {
	m.mu.Lock()
	e, ok := m.entries[key]
	m.mu.Unlock()
	if hook := m.BetweenGetAndSet; hook != nil {
		hook(key)
	}
	if !ok {
		return nil, 0, false, nil
	}
	return append([]byte(nil), e.value...), e.cas, true, nil
}

// Set implements Store.
func (m *MemoryStore) Set(key string, value []byte, cas uint32) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok && cas != 0 && cas != e.cas {
		return false, nil
	}
	m.nextCAS++
	if m.nextCAS == 0 { // 0 means "no check"; never hand it out
		m.nextCAS++
	}
	m.entries[key] = memoryEntry{value: append([]byte(nil), value...), cas: m.nextCAS}
	return true, nil
}

// Len returns the number of keys, to check that slot pools stay bounded.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
