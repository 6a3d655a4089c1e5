package wasmtest

import (
	"sort"
	"sync"
	"time"
)

// DefaultStartTime is where every Host's clock starts, so that runs are
// reproducible.
var DefaultStartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Host is one Envoy process as the plugins see it: the state that Envoy keeps
// across VMs (workers) — shared data, shared queues, metrics, the clock and
// the cluster behind proxy_http_call — plus the captured logs. Start several
// VMs of one module on one Host to test multi-worker behaviour.
//
// A Host is safe for concurrent use; each VM serialises its own calls.
type Host struct {
	mu sync.Mutex

	now   time.Time
	start time.Time

	sharedData map[string]map[string]sharedValue // vm_id -> key -> value
	casIndex   uint32

	queues      []*sharedQueue // queue id - 1 -> queue
	queueByName map[queueKey]uint32

	metrics      []*metric // metric id - 1 -> metric
	metricByName map[metricKey]uint32

	httpHandler HTTPCallHandler
	foreign     map[string]ForeignFunction
	properties  map[string][]byte // host-wide properties (node.*, listener_*, ...)

	vms  []*VM
	logs []LogEntry

	nextConnectionID uint64
}

// NewHost returns a Host whose clock reads DefaultStartTime.
func NewHost() *Host {
	return &Host{
		now:          DefaultStartTime,
		start:        DefaultStartTime,
		sharedData:   map[string]map[string]sharedValue{},
		casIndex:     1,
		queueByName:  map[queueKey]uint32{},
		metricByName: map[metricKey]uint32{},
		properties:   map[string][]byte{},
	}
}

// Now is the host clock: what WASI clock_time_get (realtime) and
// proxy_get_current_time_nanoseconds return. It moves only through Advance.
func (h *Host) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// monotonicNanos is the monotonic clock. It follows the host clock (the Go
// runtime refuses a monotonic clock that reads zero, so it is not "time
// since start").
func (h *Host) monotonicNanos() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now.UnixNano()
}

// Advance moves the clock forward by d and fires every tick that falls due
// on the way, in time order, with the clock set to each tick's instant (a
// tick period of 1s and Advance(3s) fires three ticks per root context).
func (h *Host) Advance(d time.Duration) {
	if d < 0 {
		panic("wasmtest: Advance with a negative duration")
	}
	h.mu.Lock()
	target := h.now.Add(d)
	h.mu.Unlock()
	for {
		p, at := h.nextTick(target)
		if p == nil {
			break
		}
		h.mu.Lock()
		if at.After(h.now) {
			h.now = at
		}
		h.mu.Unlock()
		p.fireTick(at)
	}
	h.mu.Lock()
	h.now = target
	h.mu.Unlock()
}

// nextTick finds the root context whose tick is due first, not after target.
func (h *Host) nextTick(target time.Time) (*Plugin, time.Time) {
	h.mu.Lock()
	vms := append([]*VM(nil), h.vms...)
	h.mu.Unlock()
	var best *Plugin
	var bestAt time.Time
	for _, vm := range vms {
		for _, p := range vm.pluginsInOrder() {
			at, ok := p.tickDue()
			if !ok || at.After(target) {
				continue
			}
			if best == nil || at.Before(bestAt) {
				best, bestAt = p, at
			}
		}
	}
	return best, bestAt
}

// SetProperty sets a host-wide property (for example "node.id" or
// "listener_direction") that every context of every VM can read, in Envoy's
// encoding (see the Prop* helpers). A request's own properties win.
func (h *Host) SetProperty(path string, value []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.properties[propertyKey(path)] = append([]byte(nil), value...)
}

func (h *Host) property(key string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	v, ok := h.properties[key]
	return v, ok
}

// Logs returns every log line captured on this host so far, across VMs, in
// order.
func (h *Host) Logs() []LogEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]LogEntry(nil), h.logs...)
}

func (h *Host) addLog(e LogEntry) {
	h.mu.Lock()
	h.logs = append(h.logs, e)
	h.mu.Unlock()
}

// Close closes every VM started on this host.
func (h *Host) Close() {
	h.mu.Lock()
	vms := append([]*VM(nil), h.vms...)
	h.mu.Unlock()
	for _, vm := range vms {
		vm.Close()
	}
}

func (h *Host) addVM(vm *VM) {
	h.mu.Lock()
	h.vms = append(h.vms, vm)
	h.mu.Unlock()
}

func (h *Host) removeVM(vm *VM) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, v := range h.vms {
		if v == vm {
			h.vms = append(h.vms[:i], h.vms[i+1:]...)
			return
		}
	}
}

func (h *Host) newConnectionID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextConnectionID++
	return h.nextConnectionID
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
