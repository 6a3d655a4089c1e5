package format

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// fakeSource is a Source backed by maps; absent keys are missing values.
type fakeSource struct {
	start    time.Time
	numbers  map[Field]int64
	strings  map[Field]string
	flags    uint64
	headers  map[HeaderKind]map[string]string
	state    map[string]string
	requests int // header lookups, to check laziness
}

func (s *fakeSource) StartTime() (time.Time, bool) { return s.start, !s.start.IsZero() }
func (s *fakeSource) Number(f Field) (int64, bool) { v, ok := s.numbers[f]; return v, ok }
func (s *fakeSource) String(f Field) (string, bool) {
	v, ok := s.strings[f]
	return v, ok
}
func (s *fakeSource) ResponseFlags() uint64 { return s.flags }
func (s *fakeSource) Header(k HeaderKind, name string) (string, bool) {
	s.requests++
	v, ok := s.headers[k][name]
	return v, ok
}
func (s *fakeSource) FilterState(key string) (string, bool) { v, ok := s.state[key]; return v, ok }

// seedJSONFormat is the jsonFormat of seed 002 (HTTPListenerPolicy access-logging).
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

var seedStart = time.Date(2025, 4, 10, 18, 36, 34, 47_123_456, time.UTC)

func rateLimitedGet() *fakeSource {
	return &fakeSource{
		start:   seedStart,
		numbers: map[Field]int64{ResponseCode: 429, BytesReceived: 0, BytesSent: 18, Duration: 1_500_000},
		strings: map[Field]string{
			Protocol: "HTTP/1.1", ResponseCodeDetails: "local_rate_limited",
			DownstreamRemoteAddress: "10.244.0.7:51234", DownstreamLocalAddress: "10.96.238.187:80",
			RouteName: "default/ollama/0", UpstreamCluster: "default/ollama/80", Hostname: "waypoint-0",
		},
		flags: RateLimited,
		headers: map[HeaderKind]map[string]string{
			RequestHeader: {":method": "GET", ":path": "/", ":authority": "ollama",
				"x-request-id": "88c6504b-d3e3-4921-92af-d06f0f0ce877", "authorization": "Bearer secret"},
			ResponseHeader:  {"content-type": "text/plain", "set-cookie": "a=b"},
			ResponseTrailer: {"grpc-status": "0"},
		},
		state: map[string]string{"wasm.wasp_ratelimited": "RL"},
	}
}

func TestSeedJSONFormat(t *testing.T) {
	f, err := ParseJSON([]byte(seedJSONFormat), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := string(f.Append(nil, rateLimitedGet()))
	want := `{"authority":"ollama","bytes_received":0,"bytes_sent":18,"method":"GET","path":"/",` +
		`"protocol":"HTTP/1.1","request_id":"88c6504b-d3e3-4921-92af-d06f0f0ce877","response_code":429,` +
		`"response_flags":"RL","start_time":"2025-04-10T18:36:34.047Z"}`
	if got != want {
		t.Fatalf("line:\n got %s\nwant %s", got, want)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
}

func TestJSONTypesAndMissing(t *testing.T) {
	src := &fakeSource{} // nothing known: no response, no headers
	f, err := ParseJSON([]byte(`{"code":"%RESPONSE_CODE%","flags":"%RESPONSE_FLAGS%","proto":"%PROTOCOL%",`+
		`"rx":"%BYTES_RECEIVED%","dur":"%DURATION%","hdr":"%REQ(X-MISSING)%","mixed":"a %REQ(X-MISSING)% %RESPONSE_CODE%",`+
		`"start":"%START_TIME%","lit":"plain","n":5,"f":2.50,"e":1e3,"l":["%RESPONSE_CODE%","x %PROTOCOL%",{"b":"%RESPONSE_FLAGS%","a":1}],"nested":{"y":"%RESP(X-A)%","x":"1"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := string(f.Append(nil, src))
	want := `{"code":0,"dur":null,"e":1000,"f":2.5,"flags":"-","hdr":null,"l":[0,"x -",{"a":1,"b":"-"}],"lit":"plain",` +
		`"mixed":"a - 0","n":5,"nested":{"x":"1","y":null},"proto":null,"rx":0,"start":null}`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
}

func TestTextOperators(t *testing.T) {
	cases := []struct{ format, want string }{
		{"%START_TIME%", "2025-04-10T18:36:34.047Z"},
		{"%START_TIME(%Y/%m/%d %H:%M:%S %s %3f %6f %f %E6S %z %Z %j %a %b %T %F)%",
			"2025/04/10 18:36:34 1744310194 047 047123 047123456 34.047123 +0000 UTC 100 Thu Apr 18:36:34 2025-04-10"},
		{"%START_TIME(%E*S|%E0S|%%|%e|%p|%I)%", "34.047123456|34|%|10|PM|06"},
		{"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%", "GET / HTTP/1.1"},
		{"%REQ(X-REQUEST-ID):8%", "88c6504b"},
		{"%REQ(X-NONE?X-ALSO-NONE)%", "-"},
		{"%RESP(CONTENT-TYPE)% %TRAILER(GRPC-STATUS)% %RESP(NONE)%", "text/plain 0 -"},
		{"%RESPONSE_CODE% %RESPONSE_CODE_DETAILS% %RESPONSE_FLAGS%", "429 local_rate_limited RL"},
		{"%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %REQUEST_DURATION% %RESPONSE_DURATION%", "0 18 1 - -"},
		{"%UPSTREAM_HOST% %UPSTREAM_CLUSTER% %ROUTE_NAME% %HOSTNAME%", "- default/ollama/80 default/ollama/0 waypoint-0"},
		{"%DOWNSTREAM_REMOTE_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %DOWNSTREAM_LOCAL_ADDRESS%",
			"10.244.0.7:51234 10.244.0.7 10.96.238.187:80"},
		{"%FILTER_STATE(wasm.wasp_ratelimited:PLAIN)% %FILTER_STATE(wasm.wasp_ratelimited):1% %FILTER_STATE(none)%", "RL R -"},
		{"%REQ(AUTHORIZATION)% %RESP(SET-COOKIE)%", "[REDACTED] [REDACTED]"},
		{"line\n", "line"},
		{"", ""},
	}
	for _, c := range cases {
		f, err := ParseText(c.format, Options{})
		if err != nil {
			t.Errorf("%q: %v", c.format, err)
			continue
		}
		if got := string(f.Append(nil, rateLimitedGet())); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.format, got, c.want)
		}
	}
}

func TestUnredactedOptIn(t *testing.T) {
	f, err := ParseText("%REQ(Authorization)% %RESP(SET-COOKIE)%", Options{Unredacted: []string{"AUTHORIZATION"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(f.Append(nil, rateLimitedGet())); got != "Bearer secret [REDACTED]" {
		t.Fatalf("got %q", got)
	}
}

func TestResponseFlagsAndAddresses(t *testing.T) {
	rl, _ := ResponseFlagBit("RL")
	nr, _ := ResponseFlagBit("NR")
	uh, _ := ResponseFlagBit("UH")
	if got := FormatResponseFlags(rl | nr | uh); got != "UH,NR,RL" {
		t.Errorf("flags = %q, want Envoy's order UH,NR,RL", got)
	}
	if got := FormatResponseFlags(0); got != "-" {
		t.Errorf("no flags = %q", got)
	}
	if _, ok := ResponseFlagBit("XX"); ok {
		t.Error("unknown flag accepted")
	}
	for in, want := range map[string]string{"[::1]:80": "::1", "1.2.3.4:5": "1.2.3.4", "1.2.3.4": "1.2.3.4", "::1": "::1"} {
		if got := stripPort(in); got != want {
			t.Errorf("stripPort(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONEscaping(t *testing.T) {
	src := rateLimitedGet()
	src.headers[RequestHeader]["x-evil"] = "a\"b\\c\n\x01<é>\xff"
	f, err := ParseJSON([]byte(`{"v":"%REQ(X-EVIL)%","m":"[%REQ(X-EVIL)%]"}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := string(f.Append(nil, src))
	want := `{"m":"[a\"b\\c\n\u0001<é>\ufffd]","v":"a\"b\\c\n\u0001<é>\ufffd"}`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(got), &m); err != nil {
		t.Fatal(err)
	}
}

func TestParseErrorsNameTheOperator(t *testing.T) {
	cases := []struct{ format, operator, reason string }{
		{"%NOPE%", "%NOPE%", "unknown operator"},
		{"%REQ%", "%REQ%", "needs a header name"},
		{"%REQ()%", "%REQ%", "empty header name"},
		{"%REQ(A?B?C)%", "%REQ%", "more than one"},
		{"%PROTOCOL(X)%", "%PROTOCOL%", "takes no argument"},
		{"%PROTOCOL:3%", "%PROTOCOL%", "takes no maximum length"},
		{"%REQ(A", "%REQ%", "unterminated"},
		{"%REQ(A)", "%REQ%", "missing closing"},
		{"%REQ(A):x%", "%REQ%", "maximum length"},
		{"%START_TIME(%Q)%", "%START_TIME%", "unsupported specifier %Q"},
		{"%FILTER_STATE(k:JSON)%", "%FILTER_STATE%", "PLAIN or TYPED"},
		{"100% sure", "", "does not start an operator"},
		{"tail %", "", "does not start an operator"},
	}
	for _, c := range cases {
		_, err := ParseText(c.format, Options{})
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%q: error %v, want *Error", c.format, err)
			continue
		}
		if fe.Operator != c.operator || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%q: got operator %q, error %q; want %q containing %q", c.format, fe.Operator, err, c.operator, c.reason)
		}
	}
}

func TestParseJSONErrors(t *testing.T) {
	for in, want := range map[string]string{
		`[1]`:                      "must be a JSON object",
		`null`:                     "not null",
		`{"a":true}`:               `key "a": only strings, nested objects, lists and numbers`,
		`{"a":[1,null]}`:           `key "a[1]": only strings`,
		`{"a":["%NOPE%"]}`:         `key "a[0]"`,
		`{"a":{"b":"%BAD%"}}`:      `key "a.b"`,
		`{"a":"x"} {}`:             "trailing data",
		`{"a":"%REQ(X):0%"}`:       "bad maximum length",
		`{"a":"%START_TIME(%E)%"}`: "unsupported specifier %E",
	} {
		_, err := ParseJSON([]byte(in), Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want containing %q", in, err, want)
		}
	}
}

// A format is asked only for what it uses.
func TestLazy(t *testing.T) {
	f, _ := ParseText("%RESPONSE_CODE%", Options{})
	src := rateLimitedGet()
	f.Append(nil, src)
	if src.requests != 0 {
		t.Fatalf("%d header lookups for a format without headers", src.requests)
	}
}
