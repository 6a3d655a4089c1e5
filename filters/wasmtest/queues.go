package wasmtest

// Shared queues as Envoy implements them (cpp-host src/shared_queue.cc): a
// queue is registered by a root context under (vm_id, name) and resolved by
// anyone with the same pair; enqueue notifies the registering root context
// with proxy_on_queue_ready. Envoy posts that notification to the
// registering VM's thread; wasmtest delivers it once the VM call that
// enqueued has returned.

type queueKey struct{ vmID, name string }

type sharedQueue struct {
	id    uint32
	key   queueKey
	owner *Plugin // root context notified on enqueue
	items [][]byte
}

func (h *Host) registerQueue(owner *Plugin, name string) uint32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := queueKey{owner.vm.cfg.ID, name}
	if id, ok := h.queueByName[k]; ok {
		h.queues[id-1].owner = owner
		return id
	}
	q := &sharedQueue{id: uint32(len(h.queues) + 1), key: k, owner: owner}
	h.queues = append(h.queues, q)
	h.queueByName[k] = q.id
	return q.id
}

func (h *Host) resolveQueue(vmID, name string) (uint32, Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.queueByName[queueKey{vmID, name}]
	if !ok {
		return 0, StatusNotFound
	}
	return id, StatusOK
}

func (h *Host) enqueue(id uint32, value []byte) (*Plugin, Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == 0 || int(id) > len(h.queues) {
		return nil, StatusNotFound
	}
	q := h.queues[id-1]
	q.items = append(q.items, append([]byte(nil), value...))
	return q.owner, StatusOK
}

func (h *Host) dequeue(id uint32) ([]byte, Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if id == 0 || int(id) > len(h.queues) {
		return nil, StatusNotFound
	}
	q := h.queues[id-1]
	if len(q.items) == 0 {
		return nil, StatusEmpty
	}
	v := q.items[0]
	q.items[0] = nil
	q.items = q.items[1:]
	return v, StatusOK
}

// Enqueue puts value on the queue that vm_id vmID registered under name, as
// another plugin would, and notifies its owner. It returns false if no such
// queue is registered.
func (h *Host) Enqueue(vmID, name string, value []byte) bool {
	id, st := h.resolveQueue(vmID, name)
	if st != StatusOK {
		return false
	}
	owner, st := h.enqueue(id, value)
	if st == StatusOK && owner != nil {
		owner.vm.notifyQueue(owner, id)
	}
	return st == StatusOK
}

// QueueItems returns what is waiting on the queue (vm_id, name).
func (h *Host) QueueItems(vmID, name string) [][]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.queueByName[queueKey{vmID, name}]
	if !ok {
		return nil
	}
	var out [][]byte
	for _, it := range h.queues[id-1].items {
		out = append(out, append([]byte(nil), it...))
	}
	return out
}
