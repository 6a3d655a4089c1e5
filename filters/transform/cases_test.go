package transform

import (
	"strings"
	"testing"
)

// One HTTP exchange through the transform filter, shared by the native
// (proxytest) and the compiled-wasm (wasmtest) runs: both must give the same
// outcome for every case.
type exchangeCase struct {
	name   string
	config string // PluginConfig[Transformation] JSON; "" means testConfig(policy)
	policy string // the Transformation JSON for route "r1"
	route  string // xds.route_name; default "r1"

	reqHeaders  [][2]string // ":method", ":path"… included
	reqChunks   []string    // nil: headers-only request
	reqTrailers [][2]string
	respHeaders [][2]string // ":status" included; nil: 200
	respChunks  []string

	// Expectations. A header listed with nil values must be absent.
	wantUpstream     map[string][]string
	wantUpstreamBody *string
	wantStatus       int // what the client got
	wantClient       map[string][]string
	wantClientBody   *string
}

// outcome is what a runner observed.
type outcome struct {
	reachedUpstream bool
	upstreamHeaders [][2]string
	upstreamBody    string
	status          int
	clientHeaders   [][2]string
	clientBody      string
}

func str(s string) *string { return &s }

func testConfig(policy string) string {
	return `{"policies":{"p1":` + policy + `},"routes":{"r1":"p1"}}`
}

func get(headers ...string) [][2]string {
	h := [][2]string{{":method", "GET"}, {":path", "/v1/items?q=1"}, {":authority", "example.com"}, {":scheme", "http"}}
	for i := 0; i+1 < len(headers); i += 2 {
		h = append(h, [2]string{headers[i], headers[i+1]})
	}
	return h
}

func post(contentLength string, headers ...string) [][2]string {
	h := get(headers...)
	h[0][1] = "POST"
	if contentLength != "" {
		h = append(h, [2]string{"content-length", contentLength})
	}
	return h
}

const jsonBody = `{"user":{"name":"Ada","id":7},"items":[{"sku":"a1"},{"sku":"b2"}]}`

// httpbinJSON is httpbin's /json document, as kgateway's docs use it.
const httpbinJSON = `{"slideshow":{"author":"Yours Truly","date":"date of publication","slides":[{"title":"Wake up to WonderWidgets!","type":"all"},{"items":["Why <em>WonderWidgets</em> are great","Who <em>buys</em> WonderWidgets"],"title":"Overview","type":"all"}],"title":"Sample Slide Show"}}`

var exchangeCases = []exchangeCase{
	// kgateway's documented examples (docs: traffic-management/transformations),
	// policy text as the docs write it.
	{
		name:        "kgateway docs: change response status (401)",
		policy:      `{"response":{"set":[{"name":":status","value":"{% if header(\"foo\") == \"bar\" %}401{% else %}403{% endif %}"}]}}`,
		reqHeaders:  get(),
		respHeaders: [][2]string{{":status", "200"}, {"foo", "bar"}},
		wantStatus:  401,
	},
	{
		name:        "kgateway docs: change response status (403)",
		policy:      `{"response":{"set":[{"name":":status","value":"{% if header(\"foo\") == \"bar\" %}401{% else %}403{% endif %}"}]}}`,
		reqHeaders:  get(),
		respHeaders: [][2]string{{":status", "200"}, {"foo", "bar2"}},
		wantStatus:  403,
	},
	{
		name:         "kgateway docs: update request path and method",
		policy:       `{"request":{"set":[{"name":":path","value":"{% if request_header(\"foo\") == \"bar\" %}/post{% else %}{{ header(\":path\") }}{% endif %}"},{"name":":method","value":"{% if request_header(\"foo\") == \"bar\" %}POST{% else %}{{ request_header(\":method\")}}{% endif %}"}]}}`,
		reqHeaders:   get("foo", "bar"),
		wantUpstream: map[string][]string{":path": {"/post"}, ":method": {"POST"}},
		wantStatus:   200,
	},
	{
		name:         "kgateway docs: request path and method unchanged",
		policy:       `{"request":{"set":[{"name":":path","value":"{% if request_header(\"foo\") == \"bar\" %}/post{% else %}{{ header(\":path\") }}{% endif %}"},{"name":":method","value":"{% if request_header(\"foo\") == \"bar\" %}POST{% else %}{{ request_header(\":method\")}}{% endif %}"}]}}`,
		reqHeaders:   get(),
		wantUpstream: map[string][]string{":path": {"/v1/items?q=1"}, ":method": {"GET"}},
		wantStatus:   200,
	},
	{
		name:           "kgateway docs: update response body",
		policy:         `{"response":{"body":{"parseAs":"AsJson","value":"{\"author\": \"{{ slideshow.author }}\", \"title\": \"{{ slideshow.title }}\", \"slides\": \"{{ slideshow.slides }}}"}}}`,
		reqHeaders:     get(),
		respHeaders:    [][2]string{{":status", "200"}, {"content-type", "application/json"}},
		respChunks:     []string{httpbinJSON},
		wantStatus:     200,
		wantClientBody: str(`{"author": "Yours Truly", "title": "Sample Slide Show", "slides": "[{"title":"Wake up to WonderWidgets!","type":"all"},{"items":["Why <em>WonderWidgets</em> are great","Who <em>buys</em> WonderWidgets"],"title":"Overview","type":"all"}]}`),
	},
	{
		name:       "kgateway docs: decode base64 headers",
		policy:     `{"response":{"add":[{"name":"x-base64-decoded","value":"{{ substring(base64_decode(request_header(\"x-base64-encoded\")), 11) }}"}]}}`,
		reqHeaders: get("x-base64-encoded", "dHJhbnNmb3JtYXRpb24gdGVzdA=="),
		wantStatus: 200,
		wantClient: map[string][]string{"x-base64-decoded": {"ion test"}},
	},
	{
		name:         "route without policy passes through",
		policy:       `{"request":{"set":[{"name":"x-a","value":"changed"}]}}`,
		route:        "other",
		reqHeaders:   get("x-a", "orig"),
		wantUpstream: map[string][]string{"x-a": {"orig"}},
		wantStatus:   200,
	},
	{
		name:         "default policy applies to unlisted routes",
		config:       `{"policies":{"p1":{"request":{"set":[{"name":"x-a","value":"default"}]}}},"default":"p1"}`,
		route:        "unlisted",
		reqHeaders:   get(),
		wantUpstream: map[string][]string{"x-a": {"default"}},
		wantStatus:   200,
	},
	{
		name:         "set replaces every value, add appends, remove deletes",
		policy:       `{"request":{"set":[{"name":"x-set","value":"s"}],"add":[{"name":"x-add","value":"2"}],"remove":["x-gone"]}}`,
		reqHeaders:   get("x-set", "old1", "x-set", "old2", "x-add", "1", "x-gone", "bye"),
		wantUpstream: map[string][]string{"x-set": {"s"}, "x-add": {"1", "2"}, "x-gone": nil},
		wantStatus:   200,
	},
	{
		name:         "remove then set then add on the same header",
		policy:       `{"request":{"remove":["x-h"],"set":[{"name":"x-h","value":"set"}],"add":[{"name":"x-h","value":"added"}]}}`,
		reqHeaders:   get("x-h", "orig"),
		wantUpstream: map[string][]string{"x-h": {"set", "added"}},
		wantStatus:   200,
	},
	{
		name:         "templates see the headers as they arrived",
		policy:       `{"request":{"set":[{"name":"x-a","value":"new"},{"name":"x-b","value":"was {{ header(\"x-a\") }}"}]}}`,
		reqHeaders:   get("x-a", "old"),
		wantUpstream: map[string][]string{"x-a": {"new"}, "x-b": {"was old"}},
		wantStatus:   200,
	},
	{
		name:         "a set that renders nothing removes the header",
		policy:       `{"request":{"set":[{"name":"x-a","value":"{% if header(\"x-flag\") == \"on\" %}yes{% endif %}"}]}}`,
		reqHeaders:   get("x-a", "orig"),
		wantUpstream: map[string][]string{"x-a": nil},
		wantStatus:   200,
	},
	{
		name:         "pseudo-headers path and method",
		policy:       `{"request":{"set":[{"name":":path","value":"{{ replace_with_string(header(\":path\"), \"/v1\", \"/v2\") }}"},{"name":":method","value":"PUT"}]}}`,
		reqHeaders:   get(),
		wantUpstream: map[string][]string{":path": {"/v2/items?q=1"}, ":method": {"PUT"}},
		wantStatus:   200,
	},
	{
		name:           "a status outside 200-599 is refused",
		policy:         `{"response":{"set":[{"name":":status","value":"{{ header(\"x-s\") }}"}]}}`,
		reqHeaders:     get(),
		respHeaders:    [][2]string{{":status", "200"}, {"x-s", "99"}},
		wantStatus:     500,
		wantClientBody: str(`{"error":"response transformation failed"}`),
	},
	{
		name:         "authority from a header, headers-only request with no body block",
		policy:       `{"request":{"set":[{"name":":authority","value":"{{ lower(header(\"x-tenant\")) }}.internal"}]}}`,
		reqHeaders:   get("x-tenant", "ACME"),
		wantUpstream: map[string][]string{":authority": {"acme.internal"}, "x-tenant": {"ACME"}},
		wantStatus:   200,
	},
	{
		name:         "decode a base64 header",
		policy:       `{"request":{"set":[{"name":"x-decoded","value":"{{ base64_decode(header(\"x-enc\")) }}"}]}}`,
		reqHeaders:   get("x-enc", "aGVsbG8="),
		wantUpstream: map[string][]string{"x-decoded": {"hello"}},
		wantStatus:   200,
	},
	{
		name:             "JSON body transformation updates content-length",
		policy:           `{"request":{"body":{"parseAs":"AsJson","value":"{\"who\":\"{{ user.name }}\",\"first\":\"{{ items.0.sku }}\"}"}}}`,
		reqHeaders:       post("67", "content-type", "application/json"),
		reqChunks:        []string{jsonBody},
		wantUpstream:     map[string][]string{"content-length": {"26"}},
		wantUpstreamBody: str(`{"who":"Ada","first":"a1"}`),
		wantStatus:       200,
	},
	{
		name:             "chunked body stays chunked",
		policy:           `{"request":{"body":{"parseAs":"AsString","value":"{{ upper(body()) }}"}}}`,
		reqHeaders:       post(""),
		reqChunks:        []string{"hel", "lo"},
		wantUpstream:     map[string][]string{"content-length": nil},
		wantUpstreamBody: str("HELLO"),
		wantStatus:       200,
	},
	{
		name:             "header from a JSON body arriving in chunks",
		policy:           `{"request":{"set":[{"name":"x-user","value":"{{ user.name }}-{{ user.id }}"}],"body":{"parseAs":"AsJson"}}}`,
		reqHeaders:       post("67"),
		reqChunks:        []string{jsonBody[:20], jsonBody[20:40], jsonBody[40:]},
		wantUpstream:     map[string][]string{"x-user": {"Ada-7"}, "content-length": {"67"}},
		wantUpstreamBody: str(jsonBody),
		wantStatus:       200,
	},
	{
		name:             "header reads body() without a body block",
		policy:           `{"request":{"set":[{"name":"x-len","value":"{{ length(body()) }}"}]}}`,
		reqHeaders:       post("5"),
		reqChunks:        []string{"abcde"},
		wantUpstream:     map[string][]string{"x-len": {"5"}},
		wantUpstreamBody: str("abcde"),
		wantStatus:       200,
	},
	{
		name:           "request body that is not JSON gets 400",
		policy:         `{"request":{"body":{"parseAs":"AsJson","value":"{{ user.name }}"}}}`,
		reqHeaders:     post("9"),
		reqChunks:      []string{"not json!"},
		wantStatus:     400,
		wantClient:     map[string][]string{"x-wasp-transform": {"request_body_not_json"}},
		wantClientBody: str(`{"error":"request body is not valid JSON"}`),
	},
	{
		name:           "response body that is not JSON gets 500",
		policy:         `{"response":{"body":{"parseAs":"AsJson","value":"{{ a }}"}}}`,
		reqHeaders:     get(),
		respHeaders:    [][2]string{{":status", "200"}, {"content-length", "4"}},
		respChunks:     []string{"oops"},
		wantStatus:     500,
		wantClientBody: str(`{"error":"response body is not valid JSON"}`),
	},
	{
		name:           "request body over the limit gets 413",
		policy:         `{"maxBodyBytes":16,"request":{"body":{"value":"x"}}}`,
		reqHeaders:     post("20"),
		reqChunks:      []string{"0123456789", "0123456789"},
		wantStatus:     413,
		wantClientBody: str(`{"error":"request body exceeds the transformation buffer limit of 16 bytes"}`),
	},
	{
		name:           "response body over the limit gets 500",
		policy:         `{"maxBodyBytes":8,"response":{"body":{"value":"x"}}}`,
		reqHeaders:     get(),
		respChunks:     []string{"0123456789"},
		wantStatus:     500,
		wantClientBody: str(`{"error":"response body exceeds the transformation buffer limit of 8 bytes"}`),
	},
	{
		name:        "response status and headers from the request",
		policy:      `{"response":{"set":[{"name":":status","value":"201"},{"name":"x-echo","value":"{{ request_header(\"x-req\") }}/{{ header(\"x-up\") }}"}]}}`,
		reqHeaders:  get("x-req", "r"),
		respHeaders: [][2]string{{":status", "200"}, {"x-up", "u"}},
		wantStatus:  201,
		wantClient:  map[string][]string{"x-echo": {"r/u"}},
	},
	{
		name:           "response JSON body transformation",
		policy:         `{"response":{"body":{"parseAs":"AsJson","value":"{\"names\":[{% for i in items %}\"{{ i.sku }}\"{% if not loop.is_last %},{% endif %}{% endfor %}],\"n\":{{ length(context().items) }}}"}}}`,
		reqHeaders:     get(),
		respHeaders:    [][2]string{{":status", "200"}, {"content-length", "67"}},
		respChunks:     []string{jsonBody},
		wantStatus:     200,
		wantClient:     map[string][]string{"content-length": {"27"}},
		wantClientBody: str(`{"names":["a1","b2"],"n":2}`),
	},
	{
		name:           "template failing on a request gets 400",
		policy:         `{"request":{"set":[{"name":"x-d","value":"{{ base64_decode(header(\"x-enc\")) }}"}]}}`,
		reqHeaders:     get("x-enc", "%%%"),
		wantStatus:     400,
		wantClientBody: str(`{"error":"request transformation failed"}`),
	},
	{
		name:           "template failing on a response gets 500",
		policy:         `{"response":{"set":[{"name":"x-d","value":"{{ 1 / int(header(\"x-zero\")) }}"}]}}`,
		reqHeaders:     get(),
		respHeaders:    [][2]string{{":status", "200"}, {"x-zero", "0"}},
		wantStatus:     500,
		wantClientBody: str(`{"error":"response transformation failed"}`),
	},
	{
		name:           "a header value with a newline is refused",
		policy:         `{"request":{"set":[{"name":"x-d","value":"{{ base64_decode(header(\"x-enc\")) }}"}]}}`,
		reqHeaders:     get("x-enc", "YQpi"), // "a\nb"
		wantStatus:     400,
		wantClientBody: str(`{"error":"request transformation failed"}`),
	},
	{
		name:         "headers-only request with a body template gets its headers only",
		policy:       `{"request":{"set":[{"name":"x-a","value":"a"}],"body":{"parseAs":"AsJson","value":"{\"new\":true}"}}}`,
		reqHeaders:   get(),
		wantUpstream: map[string][]string{"x-a": {"a"}, "content-length": nil},
		wantStatus:   200,
	},
	{
		name:             "empty body under AsJson is not an error",
		policy:           `{"request":{"set":[{"name":"x-n","value":"[{{ user.name }}]"}],"body":{"parseAs":"AsJson"}}}`,
		reqHeaders:       post("0"),
		reqChunks:        []string{""},
		wantUpstream:     map[string][]string{"x-n": {"[]"}},
		wantUpstreamBody: str(""),
		wantStatus:       200,
	},
	{
		name:             "trailers end a buffered body",
		policy:           `{"request":{"set":[{"name":"x-user","value":"{{ user.name }}"}],"body":{"parseAs":"AsJson"}}}`,
		reqHeaders:       post(""),
		reqChunks:        []string{jsonBody},
		reqTrailers:      [][2]string{{"x-checksum", "1"}},
		wantUpstream:     map[string][]string{"x-user": {"Ada"}},
		wantUpstreamBody: str(jsonBody),
		wantStatus:       200,
	},
	{
		name:           "request and response in one policy",
		policy:         `{"request":{"add":[{"name":"x-from","value":"wasp"}]},"response":{"set":[{"name":"x-path","value":"{{ request_header(\":path\") }}"}],"body":{"value":"wrapped:{{ body() }}"}}}`,
		reqHeaders:     get(),
		respHeaders:    [][2]string{{":status", "200"}, {"content-length", "2"}},
		respChunks:     []string{"ok"},
		wantUpstream:   map[string][]string{"x-from": {"wasp"}},
		wantStatus:     200,
		wantClient:     map[string][]string{"x-path": {"/v1/items?q=1"}, "content-length": {"10"}},
		wantClientBody: str("wrapped:ok"),
	},
}

func headerValuesOf(pairs [][2]string, name string) []string {
	var out []string
	for _, p := range pairs {
		if strings.EqualFold(p[0], name) {
			out = append(out, p[1])
		}
	}
	return out
}

// check compares an outcome with the case's expectations.
func (c *exchangeCase) check(t *testing.T, o *outcome) {
	t.Helper()
	if o.status != c.wantStatus {
		t.Errorf("client status %d, want %d (body %q)", o.status, c.wantStatus, o.clientBody)
	}
	if c.wantStatus < 400 && !o.reachedUpstream {
		t.Errorf("request did not reach upstream")
	}
	if c.wantStatus == 400 || c.wantStatus == 413 {
		if o.reachedUpstream {
			t.Errorf("rejected request reached upstream")
		}
	}
	checkHeaders(t, "upstream", o.upstreamHeaders, c.wantUpstream)
	checkHeaders(t, "client", o.clientHeaders, c.wantClient)
	if c.wantUpstreamBody != nil && o.upstreamBody != *c.wantUpstreamBody {
		t.Errorf("upstream body %q, want %q", o.upstreamBody, *c.wantUpstreamBody)
	}
	if c.wantClientBody != nil && o.clientBody != *c.wantClientBody {
		t.Errorf("client body %q, want %q", o.clientBody, *c.wantClientBody)
	}
}

func checkHeaders(t *testing.T, where string, got [][2]string, want map[string][]string) {
	t.Helper()
	for name, values := range want {
		g := headerValuesOf(got, name)
		if strings.Join(g, "\x00") != strings.Join(values, "\x00") || (values == nil) != (g == nil) {
			t.Errorf("%s header %s = %q, want %q (all: %q)", where, name, g, values, got)
		}
	}
}

func (c *exchangeCase) pluginConfig() string {
	if c.config != "" {
		return c.config
	}
	return testConfig(c.policy)
}

func (c *exchangeCase) routeName() string {
	if c.route != "" {
		return c.route
	}
	return "r1"
}

func (c *exchangeCase) responseHeaders() [][2]string {
	if c.respHeaders != nil {
		return c.respHeaders
	}
	return [][2]string{{":status", "200"}}
}
