package accesslog

import (
	"encoding/binary"
	"encoding/json"
	"strings"
	"time"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
)

// The tables here run twice: natively through the SDK's proxytest
// (native_test.go) and as the compiled .wasm in wazero (wasm_test.go). Both
// must give the same results.

// prop is one host property as Envoy serves it at proxy_on_log.
type prop struct {
	path  []string
	value []byte
}

// exchange is one HTTP request/response as the filter sees it.
type exchange struct {
	requestHeaders   [][2]string
	requestBody      []byte // nil: the headers end the request
	responseHeaders  [][2]string
	responseBody     []byte
	responseTrailers [][2]string
	props            []prop
}

func i64(n int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

// seedStart is the seed sample's start_time.
var seedStart = time.Date(2025, 4, 10, 18, 36, 34, 47_000_000, time.UTC)

const seedRequestID = "88c6504b-d3e3-4921-92af-d06f0f0ce877"

// rateLimitedGet is seed 002's request: `curl http://ollama:80/` answered
// 429 by wasp's rate limiter (a Wasm local reply: Envoy's own flags stay 0,
// the limiter leaves its filter-state marker).
func rateLimitedGet() exchange {
	ex := upstreamGet(429, 18)
	ex.responseHeaders = [][2]string{{":status", "429"}, {"content-length", "18"}, {"content-type", "text/plain"}}
	ex.responseBody = []byte(config.RateLimitedBody)
	ex.props = append(ex.props,
		prop{[]string{"response", "code_details"}, []byte("local_rate_limited")},
		prop{[]string{config.RateLimitedFilterStateKey}, []byte(config.RateLimitedMarkerValue)},
	)
	return ex
}

// upstreamGet is the same request answered by the upstream.
func upstreamGet(code, bytesSent int64) exchange {
	return exchange{
		requestHeaders: [][2]string{
			{":method", "GET"}, {":path", "/"}, {":authority", "ollama"}, {":scheme", "http"},
			{"user-agent", "curl/8.12.1"}, {"accept", "*/*"}, {"x-request-id", seedRequestID},
			{"authorization", "Bearer s3cret"}, {"cookie", "session=abc"},
		},
		responseHeaders: [][2]string{{":status", "200"}, {"content-type", "application/json"}, {"set-cookie", "k=v"}},
		responseBody:    []byte(strings.Repeat("x", int(bytesSent))),
		props: []prop{
			{[]string{"request", "time"}, i64(seedStart.UnixNano())},
			{[]string{"request", "duration"}, i64(int64(3 * time.Millisecond))},
			{[]string{"request", "protocol"}, []byte("HTTP/1.1")},
			{[]string{"request", "size"}, i64(0)},
			{[]string{"response", "code"}, i64(code)},
			{[]string{"response", "size"}, i64(bytesSent)},
			{[]string{"response", "flags"}, i64(0)},
			{[]string{"response", "code_details"}, []byte("via_upstream")},
			{[]string{"source", "address"}, []byte("10.244.0.7:51234")},
			{[]string{"destination", "address"}, []byte("10.96.238.187:80")},
			{[]string{"upstream", "address"}, []byte("10.244.0.9:11434")},
			{[]string{"xds", "route_name"}, []byte("default/ollama/rule-0")},
			{[]string{"xds", "cluster_name"}, []byte("kube/default/ollama/80")},
		},
	}
}

// with returns ex with extra or replaced properties.
func (ex exchange) with(props ...prop) exchange {
	out := ex
	out.props = nil
	for _, p := range ex.props {
		replaced := false
		for _, q := range props {
			if strings.Join(p.path, "\x00") == strings.Join(q.path, "\x00") {
				replaced = true
			}
		}
		if !replaced {
			out.props = append(out.props, p)
		}
	}
	out.props = append(out.props, props...)
	return out
}

func (ex exchange) withRequestHeader(k, v string) exchange {
	out := ex
	out.requestHeaders = append(append([][2]string(nil), ex.requestHeaders...), [2]string{k, v})
	return out
}

func withoutProps(ex exchange, names ...string) exchange {
	out := ex
	out.props = nil
	for _, p := range ex.props {
		keep := true
		for _, n := range names {
			if strings.Join(p.path, ".") == n {
				keep = false
			}
		}
		if keep {
			out.props = append(out.props, p)
		}
	}
	return out
}

// seedJSONFormat is the jsonFormat of seed 002's HTTPListenerPolicy.
const seedJSONFormat = `{
  "start_time": "%START_TIME%",
  "method": "%REQ(X-ENVOY-ORIGINAL-METHOD?:METHOD)%",
  "path": "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%",
  "protocol": "%PROTOCOL%",
  "response_code": "%RESPONSE_CODE%",
  "response_flags": "%RESPONSE_FLAGS%",
  "bytes_received": "%BYTES_RECEIVED%",
  "bytes_sent": "%BYTES_SENT%",
  "request_id": "%REQ(X-REQUEST-ID)%",
  "authority": "%REQ(:AUTHORITY)%"
}`

// seedSample is the line the seed shows (its start_time and request_id are
// compared by shape).
const seedSample = `{"authority": "ollama",
  "bytes_received": 0,
  "bytes_sent": 18,
  "method": "GET",
  "path": "/",
  "protocol": "HTTP/1.1",
  "request_id": "88c6504b-d3e3-4921-92af-d06f0f0ce877",
  "response_code": 429,
  "response_flags": "RL",
  "start_time": "2025-04-10T18:36:34.047Z"}`

// pluginConfig wraps access-log entries as the translator does: one
// listener-wide policy under Default.
func pluginConfig(entries ...config.AccessLog) []byte {
	return pluginConfigWith(config.AccessLogPolicy{AccessLog: entries})
}

func pluginConfigWith(p config.AccessLogPolicy) []byte {
	b, err := json.Marshal(config.PluginConfig[config.AccessLogPolicy]{
		Policies: map[string]config.AccessLogPolicy{"listener": p},
		Default:  "listener",
	})
	if err != nil {
		panic(err)
	}
	return b
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func jsonSink(f string) config.AccessLog {
	return config.AccessLog{FileSink: &config.AccessLogFileSink{Path: "/dev/stdout", JSONFormat: json.RawMessage(f)}}
}

func textSink(f string) config.AccessLog {
	return config.AccessLog{FileSink: &config.AccessLogFileSink{Path: "/dev/stdout", StringFormat: f}}
}

func filtered(a config.AccessLog, f config.AccessLogFilter) config.AccessLog {
	a.Filter = &f
	return a
}

func one(t config.AccessLogFilterType) config.AccessLogFilter {
	return config.AccessLogFilter{AccessLogFilterType: t}
}

// result is what one exchange left behind.
type result struct {
	lines map[int]string // entry index -> stored line
	seen  bool           // the seen marker was set
}

// lineCase is one configuration and one exchange with the lines expected.
type lineCase struct {
	name   string
	config []byte
	ex     exchange
	want   map[int]string // entry index -> line; absent = no line
}

const allOperatorsText = `%START_TIME% %START_TIME(%s.%3f)% "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ` +
	`%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ` +
	`%RESP(CONTENT-TYPE)% %TRAILER(GRPC-STATUS)% %REQ(USER-AGENT):4% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% ` +
	`%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_ADDRESS% %ROUTE_NAME% ` +
	`%FILTER_STATE(other:PLAIN)% %REQ(X-MISSING)%` + "\n"

var rlBit, _ = format.ResponseFlagBit("RL")
var uhBit, _ = format.ResponseFlagBit("UH")

func lineCases() []lineCase {
	seed := pluginConfig(jsonSink(seedJSONFormat))
	status := func(op string, v uint32) config.AccessLogFilterType {
		return config.AccessLogFilterType{StatusCodeFilter: &config.AccessLogComparison{Op: op, Value: v}}
	}
	return []lineCase{
		{
			name: "seed rate limited", config: seed, ex: rateLimitedGet(),
			want: map[int]string{0: `{"authority":"ollama","bytes_received":0,"bytes_sent":18,"method":"GET","path":"/",` +
				`"protocol":"HTTP/1.1","request_id":"` + seedRequestID + `","response_code":429,"response_flags":"RL",` +
				`"start_time":"2025-04-10T18:36:34.047Z"}`},
		},
		{
			name: "seed upstream 200", config: seed, ex: upstreamGet(200, 5),
			want: map[int]string{0: `{"authority":"ollama","bytes_received":0,"bytes_sent":5,"method":"GET","path":"/",` +
				`"protocol":"HTTP/1.1","request_id":"` + seedRequestID + `","response_code":200,"response_flags":"-",` +
				`"start_time":"2025-04-10T18:36:34.047Z"}`},
		},
		{
			name: "envoy flags merged with RL", config: pluginConfig(textSink("%RESPONSE_FLAGS%")),
			ex:   rateLimitedGet().with(prop{[]string{"response", "flags"}, i64(int64(uhBit))}),
			want: map[int]string{0: "UH,RL"},
		},
		{
			name: "envoy RL flag not doubled", config: pluginConfig(textSink("%RESPONSE_FLAGS%")),
			ex:   rateLimitedGet().with(prop{[]string{"response", "flags"}, i64(int64(rlBit))}),
			want: map[int]string{0: "RL"},
		},
		{
			name: "every operator as text", config: pluginConfig(textSink(allOperatorsText)),
			ex: func() exchange {
				ex := upstreamGet(200, 5).with(prop{[]string{"filter_state", "other"}, []byte("v")})
				ex.responseTrailers = [][2]string{{"grpc-status", "0"}}
				return ex
			}(),
			want: map[int]string{0: `2025-04-10T18:36:34.047Z 1744310194.047 "GET / HTTP/1.1" 200 via_upstream - 0 5 3 ` +
				`application/json 0 curl 10.244.0.9:11434 kube/default/ollama/80 10.244.0.7:51234 10.244.0.7 ` +
				`10.96.238.187:80 default/ollama/rule-0 v -`},
		},
		{
			// total_size = bytes received + the request headers' byteSize
			// (names and values); request.size would say Content-Length.
			name: "bytes received from total size", config: pluginConfig(textSink("%BYTES_RECEIVED%")),
			ex: func() exchange {
				ex := upstreamGet(200, 0)
				hdr := 0
				for _, h := range ex.requestHeaders {
					hdr += len(h[0]) + len(h[1])
				}
				return ex.with(prop{[]string{"request", "total_size"}, i64(int64(hdr) + 1000)},
					prop{[]string{"request", "size"}, i64(999)})
			}(),
			want: map[int]string{0: "1000"},
		},
		{
			name:   "redacted by default",
			config: pluginConfig(textSink("%REQ(AUTHORIZATION)% %REQ(COOKIE)% %RESP(SET-COOKIE)% %REQ(PROXY-AUTHORIZATION)%")),
			ex:     upstreamGet(200, 0),
			// Absent (proxy-authorization) prints the same: the rule does not
			// depend on the request, so the native fallback can say it too.
			want: map[int]string{0: "[REDACTED] [REDACTED] [REDACTED] [REDACTED]"},
		},
		{
			name: "unredacted by opt-in",
			config: func() []byte {
				a := textSink("%REQ(AUTHORIZATION)% %REQ(COOKIE)%")
				a.UnredactedHeaders = []string{"authorization"}
				return pluginConfig(a)
			}(),
			ex: upstreamGet(200, 0), want: map[int]string{0: "Bearer s3cret [REDACTED]"},
		},
		{
			name:   "two entries",
			config: pluginConfig(textSink("a %RESPONSE_CODE%"), jsonSink(`{"b":"%RESPONSE_CODE%"}`)),
			ex:     upstreamGet(200, 0), want: map[int]string{0: "a 200", 1: `{"b":200}`},
		},
		{name: "status GE 400 logs 429", config: pluginConfig(filtered(textSink("x"), one(status("GE", 400)))), ex: rateLimitedGet(), want: map[int]string{0: "x"}},
		{name: "status GE 400 skips 200", config: pluginConfig(filtered(textSink("x"), one(status("GE", 400)))), ex: upstreamGet(200, 0)},
		{name: "status EQ 200", config: pluginConfig(filtered(textSink("x"), one(status("EQ", 200)))), ex: upstreamGet(200, 0), want: map[int]string{0: "x"}},
		{name: "status LE 299 skips 429", config: pluginConfig(filtered(textSink("x"), one(status("LE", 299)))), ex: rateLimitedGet()},
		{
			name:   "duration GE 3ms",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{DurationFilter: &config.AccessLogComparison{Op: "GE", Value: 3}}))),
			ex:     upstreamGet(200, 0), want: map[int]string{0: "x"},
		},
		{
			name:   "duration GE 4ms skips",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{DurationFilter: &config.AccessLogComparison{Op: "GE", Value: 4}}))),
			ex:     upstreamGet(200, 0),
		},
		{
			name:   "response flag RL from wasp",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{ResponseFlagFilter: &config.AccessLogResponseFlagFilter{Flags: []string{"RL"}}}))),
			ex:     rateLimitedGet(), want: map[int]string{0: "x"},
		},
		{
			name:   "response flag UH skips RL",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{ResponseFlagFilter: &config.AccessLogResponseFlagFilter{Flags: []string{"UH"}}}))),
			ex:     rateLimitedGet(),
		},
		{
			name:   "header regex",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{HeaderFilter: &config.AccessLogHeaderFilter{Header: config.AccessLogHeaderMatch{Type: "RegularExpression", Name: "User-Agent", Value: "curl/.*"}}}))),
			ex:     upstreamGet(200, 0), want: map[int]string{0: "x"},
		},
		{
			name:   "header exact mismatch",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{HeaderFilter: &config.AccessLogHeaderFilter{Header: config.AccessLogHeaderMatch{Name: "user-agent", Value: "curl"}}}))),
			ex:     upstreamGet(200, 0),
		},
		{
			name:   "header presence",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{HeaderFilter: &config.AccessLogHeaderFilter{Header: config.AccessLogHeaderMatch{Name: "x-debug"}}}))),
			ex:     upstreamGet(200, 0).withRequestHeader("x-debug", "1"), want: map[int]string{0: "x"},
		},
		{
			name: "not health check skips /healthz",
			config: pluginConfigWith(config.AccessLogPolicy{HealthCheckPaths: []string{"/"},
				AccessLog: []config.AccessLog{filtered(textSink("x"), one(config.AccessLogFilterType{NotHealthCheckFilter: true}))}}),
			ex: upstreamGet(200, 0),
		},
		{
			name: "not health check logs others",
			config: pluginConfigWith(config.AccessLogPolicy{HealthCheckPaths: []string{"/healthz"},
				AccessLog: []config.AccessLog{filtered(textSink("x"), one(config.AccessLogFilterType{NotHealthCheckFilter: true}))}}),
			ex: upstreamGet(200, 0), want: map[int]string{0: "x"},
		},
		{
			name:   "grpc status from HTTP 429 is UNAVAILABLE",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{GrpcStatusFilter: &config.AccessLogGrpcStatusFilter{Statuses: []string{"UNAVAILABLE"}}}))),
			ex:     rateLimitedGet(), want: map[int]string{0: "x"},
		},
		{
			name:   "grpc status exclude OK",
			config: pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{GrpcStatusFilter: &config.AccessLogGrpcStatusFilter{Statuses: []string{"OK"}, Exclude: true}}))),
			ex: func() exchange {
				ex := upstreamGet(200, 0)
				ex.responseTrailers = [][2]string{{"grpc-status", "0"}}
				return ex
			}(),
		},
		{
			name: "and filter",
			config: pluginConfig(filtered(textSink("x"), config.AccessLogFilter{AndFilter: []config.AccessLogFilterType{
				status("GE", 400), {ResponseFlagFilter: &config.AccessLogResponseFlagFilter{Flags: []string{"RL"}}}}})),
			ex: rateLimitedGet(), want: map[int]string{0: "x"},
		},
		{
			name: "and filter one false",
			config: pluginConfig(filtered(textSink("x"), config.AccessLogFilter{AndFilter: []config.AccessLogFilterType{
				status("GE", 400), status("LE", 400)}})),
			ex: rateLimitedGet(),
		},
		{
			name: "or filter",
			config: pluginConfig(filtered(textSink("x"), config.AccessLogFilter{OrFilter: []config.AccessLogFilterType{
				status("EQ", 500), status("EQ", 429)}})),
			ex: rateLimitedGet(), want: map[int]string{0: "x"},
		},
		{
			name: "route mapped policy",
			config: mustJSON(config.PluginConfig[config.AccessLogPolicy]{
				Policies: map[string]config.AccessLogPolicy{
					"listener": {AccessLog: []config.AccessLog{textSink("listener")}},
					"route":    {AccessLog: []config.AccessLog{textSink("route %ROUTE_NAME%")}},
				},
				Routes:  map[string]string{"default/ollama/rule-0": "route"},
				Default: "listener",
			}),
			ex: upstreamGet(200, 0), want: map[int]string{0: "route default/ollama/rule-0"},
		},
		{
			name: "unmapped route uses the default",
			config: mustJSON(config.PluginConfig[config.AccessLogPolicy]{
				Policies: map[string]config.AccessLogPolicy{
					"listener": {AccessLog: []config.AccessLog{textSink("listener")}},
					"route":    {AccessLog: []config.AccessLog{textSink("route")}},
				},
				Routes:  map[string]string{"other": "route"},
				Default: "listener",
			}),
			ex: upstreamGet(200, 0), want: map[int]string{0: "listener"},
		},
		{
			name:   "filtered entry beside a logged one",
			config: pluginConfig(filtered(textSink("errors"), one(status("GE", 500))), textSink("all")),
			ex:     upstreamGet(200, 0), want: map[int]string{1: "all"},
		},
		// %HOSTNAME% is the VM's HOSTNAME (vm_config host_env_keys): the
		// native run sets the process's, the wasm run gives the VM its own.
		{
			name:   "hostname text",
			config: pluginConfig(textSink("host=%HOSTNAME% code=%RESPONSE_CODE%")),
			ex:     upstreamGet(200, 0), want: map[int]string{0: "host=" + testHostname + " code=200"},
		},
		{
			name:   "hostname json",
			config: pluginConfig(jsonSink(`{"host":"%HOSTNAME%","mixed":"on %HOSTNAME%"}`)),
			ex:     upstreamGet(200, 0), want: map[int]string{0: `{"host":"` + testHostname + `","mixed":"on ` + testHostname + `"}`},
		},
	}
}

// testHostname is the HOSTNAME the tests give the VM: the wasm runs pass it
// as the VM's environment (what Envoy's host_env_keys: ["HOSTNAME"] does),
// the native runs set it in the test process.
const testHostname = "waypoint-7d9c"

// startCase is a configuration the plugin must refuse to start with, and
// the text its critical log must contain.
type startCase struct {
	name   string
	config []byte
	want   string
}

func startCases() []startCase {
	return []startCase{
		{"unknown operator", pluginConfig(textSink("%NOT_AN_OPERATOR%")), "%NOT_AN_OPERATOR%"},
		{"malformed operator", pluginConfig(jsonSink(`{"a":"%REQ(X-A%"}`)), `key "a"`},
		{"bad time format", pluginConfig(textSink("%START_TIME(%Q)%")), "%START_TIME%"},
		{"no format", pluginConfig(config.AccessLog{FileSink: &config.AccessLogFileSink{Path: "/dev/stdout"}}), "exactly one of stringFormat and jsonFormat"},
		{"bad filter op", pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{StatusCodeFilter: &config.AccessLogComparison{Op: "GT"}}))), `statusCodeFilter.op "GT"`},
		{"cel filter", pluginConfig(filtered(textSink("x"), one(config.AccessLogFilterType{CELFilter: &config.AccessLogCELFilter{Match: "true"}}))), "celFilter is not supported"},
		{"bad json", []byte(`{"policies":`), "bad plugin configuration"},
		{"unknown field", []byte(`{"policies":{"l":{"accessLog":[{"fileSink":{"path":"p","stringFormat":"x"},"grpcService":{}}]}},"default":"l"}`), `unknown field "grpcService"`},
		{"missing default", []byte(`{"policies":{},"default":"l"}`), `default policy "l"`},
	}
}
