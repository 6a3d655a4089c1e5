package accesslog

import (
	"strconv"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
)

// Counters of the OTLP sinks, shared by every sink of the VM.
const (
	metricOTLPSent    = "wasp_accesslog_otlp_records_sent"
	metricOTLPDropped = "wasp_accesslog_otlp_records_dropped"
	metricOTLPFailed  = "wasp_accesslog_otlp_posts_failed"
)

var otlpSent, otlpDropped, otlpFailed proxywasm.MetricCounter

// defineOTLPMetrics runs at every plugin start: defining a name again
// returns the same metric (Envoy keys metrics by name).
func defineOTLPMetrics() {
	otlpSent = proxywasm.DefineCounterMetric(metricOTLPSent)
	otlpDropped = proxywasm.DefineCounterMetric(metricOTLPDropped)
	otlpFailed = proxywasm.DefineCounterMetric(metricOTLPFailed)
}

// scopeName names the instrumentation scope of every record.
const scopeName = "wasp.accesslog"

// otlpAttr is one record attribute: a fixed value or a text format.
type otlpAttr struct {
	key     string
	literal string
	format  *format.Format
}

// otlpSink queues encoded OTLP log records and posts them in batches from the
// plugin's tick, so a slow or absent collector never blocks a request: past
// MaxQueueSize records are dropped and counted, and a sink has at most one
// post in flight.
type otlpSink struct {
	cfg      config.AccessLogOpenTelemetry
	headers  [][2]string
	attrs    []otlpAttr
	prefix   []byte // the batch up to the first record, pre-rendered
	queue    [][]byte
	inFlight bool
}

func newOTLPSink(a *config.AccessLog) (*otlpSink, error) {
	c := *a.OpenTelemetry
	if c.Path == "" {
		c.Path = config.DefaultOTLPLogsPath
	}
	if c.Authority == "" {
		c.Authority = c.Cluster
	}
	if c.TimeoutMs == 0 {
		c.TimeoutMs = config.DefaultOTLPTimeoutMs
	}
	if c.FlushIntervalMs == 0 {
		c.FlushIntervalMs = config.DefaultOTLPFlushIntervalMs
	}
	if c.MaxBatchSize == 0 {
		c.MaxBatchSize = config.DefaultOTLPMaxBatch
	}
	if c.MaxQueueSize == 0 {
		c.MaxQueueSize = config.DefaultOTLPMaxQueue
	}
	s := &otlpSink{cfg: c, headers: [][2]string{
		{":method", "POST"}, {":path", c.Path}, {":authority", c.Authority},
		{"content-type", "application/json"},
	}}
	if c.Attributes != nil {
		for _, kv := range c.Attributes.Values {
			f, err := format.ParseText(*kv.Value.StringValue, format.Options{Unredacted: a.UnredactedHeaders})
			if err != nil {
				return nil, err
			}
			s.attrs = append(s.attrs, otlpAttr{key: kv.Key, format: f})
		}
	}
	var resource [][2]string
	if !c.DisableBuiltinLabels {
		// Envoy's OTel access logger's built-in resource labels.
		resource = append(resource, [2]string{"log_name", c.LogName})
		for _, l := range builtinLabels {
			v, _ := propertyString(l.path)
			resource = append(resource, [2]string{l.name, v})
		}
	}
	if c.ResourceAttributes != nil {
		for _, kv := range c.ResourceAttributes.Values {
			resource = append(resource, [2]string{kv.Key, *kv.Value.StringValue})
		}
	}
	b := []byte(`{"resourceLogs":[{"resource":{"attributes":[`)
	for i, kv := range resource {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendAttr(b, kv[0], kv[1])
	}
	b = append(b, `]},"scopeLogs":[{"scope":{"name":`...)
	b = format.AppendJSONString(b, scopeName)
	s.prefix = append(b, `},"logRecords":[`...)
	return s, nil
}

// builtinLabels are the resource labels Envoy's OTel logger adds from the
// node's identity (read once, at plugin start).
var builtinLabels = []struct {
	name string
	path []string
}{
	{"zone_name", []string{"node", "locality", "zone"}},
	{"cluster_name", []string{"node", "cluster"}},
	{"node_name", []string{"node", "id"}},
}

// batchSuffix closes what prefix opened.
const batchSuffix = `]}]}]}`

func appendAttr(b []byte, key, value string) []byte {
	b = format.AppendJSONString(append(b, `{"key":`...), key)
	b = format.AppendJSONString(append(b, `,"value":{"stringValue":`...), value)
	return append(b, "}}"...)
}

// add queues one record for the line, or counts it dropped when full.
func (s *otlpSink) add(line []byte, src format.Source) {
	if len(s.queue) >= s.cfg.MaxQueueSize {
		otlpDropped.Increment(1)
		return
	}
	rec := make([]byte, 0, len(line)+128)
	rec = append(rec, `{"timeUnixNano":"`...)
	if t, ok := src.StartTime(); ok {
		rec = strconv.AppendInt(rec, t.UnixNano(), 10)
	} else {
		rec = append(rec, '0')
	}
	rec = strconv.AppendInt(append(rec, `","observedTimeUnixNano":"`...), now().UnixNano(), 10)
	rec = format.AppendJSONString(append(rec, `","body":{"stringValue":`...), string(line))
	rec = append(rec, `},"attributes":[`...)
	var scratch []byte
	for i, a := range s.attrs {
		if i > 0 {
			rec = append(rec, ',')
		}
		v := a.literal
		if a.format != nil {
			scratch = a.format.Append(scratch[:0], src)
			v = string(scratch)
		}
		rec = appendAttr(rec, a.key, v)
	}
	s.queue = append(s.queue, append(rec, "]}"...))
}

// flush posts up to MaxBatchSize queued records, unless a post is in flight.
func (s *otlpSink) flush() {
	if s.inFlight || len(s.queue) == 0 {
		return
	}
	n := min(len(s.queue), s.cfg.MaxBatchSize)
	size := len(s.prefix) + len(batchSuffix)
	for _, r := range s.queue[:n] {
		size += len(r) + 1
	}
	body := make([]byte, 0, size)
	body = append(body, s.prefix...)
	for i, r := range s.queue[:n] {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, r...)
	}
	body = append(body, batchSuffix...)
	clear(s.queue[:n])
	s.queue = s.queue[n:]
	if len(s.queue) == 0 {
		s.queue = nil // let the backing array go
	}
	_, err := proxywasm.DispatchHttpCall(s.cfg.Cluster, s.headers, body, nil, s.cfg.TimeoutMs,
		func(numHeaders, _, _ int) {
			s.inFlight = false
			status := ""
			if numHeaders > 0 {
				hs, _ := proxywasm.GetHttpCallResponseHeaders()
				for _, h := range hs {
					if h[0] == ":status" {
						status = h[1]
					}
				}
			}
			if len(status) == 3 && status[0] == '2' {
				otlpSent.Increment(uint64(n))
				return
			}
			proxywasm.LogWarnf("accesslog: OTLP post to %s failed (status %q): %d records dropped", s.cfg.Cluster, status, n)
			otlpFailed.Increment(1)
			otlpDropped.Increment(uint64(n))
		})
	if err != nil {
		proxywasm.LogWarnf("accesslog: OTLP post to %s: %v: %d records dropped", s.cfg.Cluster, err, n)
		otlpFailed.Increment(1)
		otlpDropped.Increment(uint64(n))
		return
	}
	s.inFlight = true
}

func minFlushInterval(sinks []*otlpSink) uint32 {
	m := sinks[0].cfg.FlushIntervalMs
	for _, s := range sinks[1:] {
		m = min(m, s.cfg.FlushIntervalMs)
	}
	return m
}
