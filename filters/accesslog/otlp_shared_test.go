package accesslog

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"wasp.dev/filters/config"
)

// collector is a real OTLP/HTTP logs endpoint on loopback that decodes what
// it receives (OTLP JSON encoding) and answers with a configurable status.
type collector struct {
	srv    *httptest.Server
	mu     sync.Mutex
	posts  []otlpPost
	status int
}

type otlpPost struct {
	path, contentType string
	resource          map[string]string
	records           []otlpRecord
}

type otlpRecord struct {
	body       string
	timeNanos  string
	attributes map[string]string
}

// The subset of the OTLP logs JSON that the collector checks.
type otlpJSON struct {
	ResourceLogs []struct {
		Resource struct {
			Attributes []otlpKV `json:"attributes"`
		} `json:"resource"`
		ScopeLogs []struct {
			Scope struct {
				Name string `json:"name"`
			} `json:"scope"`
			LogRecords []struct {
				TimeUnixNano string `json:"timeUnixNano"`
				Body         struct {
					StringValue string `json:"stringValue"`
				} `json:"body"`
				Attributes []otlpKV `json:"attributes"`
			} `json:"logRecords"`
		} `json:"scopeLogs"`
	} `json:"resourceLogs"`
}

type otlpKV struct {
	Key   string `json:"key"`
	Value struct {
		StringValue string `json:"stringValue"`
	} `json:"value"`
}

func kvs(list []otlpKV) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		m[kv.Key] = kv.Value.StringValue
	}
	return m
}

func newCollector(t testing.TB) *collector {
	c := &collector{status: http.StatusOK}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var doc otlpJSON
		if err := json.Unmarshal(body, &doc); err != nil || len(doc.ResourceLogs) != 1 || len(doc.ResourceLogs[0].ScopeLogs) != 1 {
			t.Errorf("collector: bad OTLP body (%v): %s", err, body)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rl := doc.ResourceLogs[0]
		p := otlpPost{path: r.URL.Path, contentType: r.Header.Get("content-type"), resource: kvs(rl.Resource.Attributes)}
		for _, rec := range rl.ScopeLogs[0].LogRecords {
			p.records = append(p.records, otlpRecord{body: rec.Body.StringValue, timeNanos: rec.TimeUnixNano, attributes: kvs(rec.Attributes)})
		}
		c.mu.Lock()
		c.posts = append(c.posts, p)
		status := c.status
		c.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) setStatus(s int) {
	c.mu.Lock()
	c.status = s
	c.mu.Unlock()
}

func (c *collector) received() []otlpPost {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]otlpPost(nil), c.posts...)
}

// forward sends a proxy_http_call to the collector as Envoy's cluster would,
// returning the response's status and body.
func (c *collector) forward(headers [][2]string, body []byte) (int, []byte, error) {
	path, ct := "", ""
	for _, h := range headers {
		switch h[0] {
		case ":path":
			path = h[1]
		case "content-type":
			ct = h[1]
		}
	}
	resp, err := http.Post(c.srv.URL+path, ct, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// The node identity the hosts give the VM (Envoy's node.id and node.cluster).
const (
	testNodeID      = "waypoint-7d9c.default"
	testNodeCluster = "waypoint.default"
)

// nodeProps are those as properties.
var nodeProps = []prop{{[]string{"node", "id"}, []byte(testNodeID)}, {[]string{"node", "cluster"}, []byte(testNodeCluster)}}

// otlpCluster is the cluster name the translator would give the collector.
const otlpCluster = "outbound|4318||otel-collector.observability.svc.cluster.local"

func otlpConfig() []byte {
	code := "%RESPONSE_CODE%"
	svc := "waypoint"
	return pluginConfig(config.AccessLog{OpenTelemetry: &config.AccessLogOpenTelemetry{
		Cluster: otlpCluster, LogName: "access", Body: "%REQ(:METHOD)% %RESPONSE_CODE% %RESPONSE_FLAGS%",
		Attributes:         &config.AccessLogKeyValues{Values: []config.AccessLogKeyValue{{Key: "code", Value: config.AccessLogAnyValue{StringValue: &code}}}},
		ResourceAttributes: &config.AccessLogKeyValues{Values: []config.AccessLogKeyValue{{Key: "service.name", Value: config.AccessLogAnyValue{StringValue: &svc}}}},
		FlushIntervalMs:    1000, MaxBatchSize: 2, MaxQueueSize: 3,
	}})
}

// otlpHost is a running filter whose http calls reach the collector.
type otlpHost interface {
	do(ex exchange) result
	tick(t *testing.T) // fire one flush tick and deliver its calls
	counter(name string) uint64
}

// testOTLP runs the shared OTLP scenario: five requests against a queue of
// three (two dropped), batches of two posted per tick, then a failing
// collector whose batch is counted as dropped.
func testOTLP(t *testing.T, h otlpHost, c *collector) {
	for i := 0; i < 5; i++ {
		if res := h.do(rateLimitedGet()); len(res.lines) != 0 {
			t.Fatalf("OTLP entry stored a file line: %v", res.lines)
		}
	}
	if got := h.counter(metricOTLPDropped); got != 2 {
		t.Errorf("dropped = %d, want 2 (queue of 3, 5 requests)", got)
	}
	h.tick(t)
	h.tick(t)
	h.tick(t) // nothing left: no post
	posts := c.received()
	if len(posts) != 2 || len(posts[0].records) != 2 || len(posts[1].records) != 1 {
		t.Fatalf("posts %+v, want 2 posts of 2 and 1 records", posts)
	}
	for _, p := range posts {
		if p.path != config.DefaultOTLPLogsPath || p.contentType != "application/json" {
			t.Errorf("post to %q as %q", p.path, p.contentType)
		}
		if p.resource["service.name"] != "waypoint" || p.resource["log_name"] != "access" ||
			p.resource["node_name"] != testNodeID || p.resource["cluster_name"] != testNodeCluster {
			t.Errorf("resource %v", p.resource)
		}
		for _, r := range p.records {
			if r.body != "GET 429 RL" {
				t.Errorf("record body %q, want %q", r.body, "GET 429 RL")
			}
			if r.attributes["code"] != "429" || len(r.attributes) != 1 {
				t.Errorf("record attributes %v", r.attributes)
			}
			if r.timeNanos != "1744310194047000000" {
				t.Errorf("timeUnixNano %q, want the request's start", r.timeNanos)
			}
		}
	}
	if got := h.counter(metricOTLPSent); got != 3 {
		t.Errorf("sent = %d, want 3", got)
	}

	c.setStatus(http.StatusServiceUnavailable)
	h.do(rateLimitedGet())
	h.tick(t)
	if got := h.counter(metricOTLPFailed); got != 1 {
		t.Errorf("failed posts = %d, want 1", got)
	}
	if got := h.counter(metricOTLPDropped); got != 3 {
		t.Errorf("dropped = %d, want 3 after a failed post", got)
	}
}
