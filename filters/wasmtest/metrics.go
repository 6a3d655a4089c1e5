package wasmtest

import "fmt"

// MetricType is the proxy-wasm metric type.
type MetricType uint32

const (
	MetricCounter   MetricType = 0
	MetricGauge     MetricType = 1
	MetricHistogram MetricType = 2
)

type metricKey struct {
	typ  MetricType
	name string
}

type metric struct {
	typ     MetricType
	name    string
	value   uint64   // counter and gauge
	records []uint64 // histogram
}

// Metrics live in the host's stats store, shared by every VM (Envoy stats
// are process-wide). Envoy exposes a custom metric as "wasmcustom.<name>";
// wasmtest keys them by the name the plugin defined.

func (h *Host) defineMetric(typ MetricType, name string) (uint32, Status) {
	if typ > MetricHistogram {
		return 0, StatusBadArgument
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	k := metricKey{typ, name}
	if id, ok := h.metricByName[k]; ok {
		return id, StatusOK
	}
	h.metrics = append(h.metrics, &metric{typ: typ, name: name})
	id := uint32(len(h.metrics))
	h.metricByName[k] = id
	return id, StatusOK
}

func (h *Host) metricByID(id uint32) *metric {
	if id == 0 || int(id) > len(h.metrics) {
		return nil
	}
	return h.metrics[id-1]
}

// incrementMetric follows Envoy: counters only go up, gauges add or
// subtract, histograms cannot be incremented.
func (h *Host) incrementMetric(id uint32, offset int64) Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.metricByID(id)
	if m == nil {
		return StatusNotFound
	}
	switch m.typ {
	case MetricCounter:
		if offset <= 0 {
			return StatusBadArgument
		}
		m.value += uint64(offset)
	case MetricGauge:
		m.value += uint64(offset) // two's complement: a negative offset subtracts
	default:
		return StatusBadArgument
	}
	return StatusOK
}

func (h *Host) recordMetric(id uint32, value uint64) Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.metricByID(id)
	if m == nil {
		return StatusNotFound
	}
	switch m.typ {
	case MetricCounter:
		m.value += value
	case MetricGauge:
		m.value = value
	case MetricHistogram:
		m.records = append(m.records, value)
	}
	return StatusOK
}

func (h *Host) getMetric(id uint32) (uint64, Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.metricByID(id)
	if m == nil {
		return 0, StatusNotFound
	}
	if m.typ == MetricHistogram {
		return 0, StatusBadArgument
	}
	return m.value, StatusOK
}

// Counter returns the value of the counter a plugin defined as name.
func (h *Host) Counter(name string) (uint64, bool) { return h.metricValue(MetricCounter, name) }

// Gauge returns the value of the gauge a plugin defined as name.
func (h *Host) Gauge(name string) (int64, bool) {
	v, ok := h.metricValue(MetricGauge, name)
	return int64(v), ok
}

// Histogram returns every value recorded in the histogram name, in order.
func (h *Host) Histogram(name string) ([]uint64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.metricByName[metricKey{MetricHistogram, name}]
	if !ok {
		return nil, false
	}
	return append([]uint64(nil), h.metrics[id-1].records...), true
}

func (h *Host) metricValue(typ MetricType, name string) (uint64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	id, ok := h.metricByName[metricKey{typ, name}]
	if !ok {
		return 0, false
	}
	return h.metrics[id-1].value, true
}

// MetricNames lists every defined metric as "<type>:<name>", sorted.
func (h *Host) MetricNames() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[string]bool{}
	for _, x := range h.metrics {
		m[fmt.Sprintf("%s:%s", [...]string{"counter", "gauge", "histogram"}[x.typ], x.name)] = true
	}
	return sortedKeys(m)
}
