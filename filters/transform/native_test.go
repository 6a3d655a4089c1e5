package transform

import (
	"strconv"
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// runNative plays an exchange through the SDK's emulator, following the
// actions the filter returns the way Envoy does: a paused stream reaches
// upstream only once a later callback continues it.
func runNative(t testing.TB, c *exchangeCase) *outcome {
	opt := proxytest.NewEmulatorOption().
		WithVMContext(&vmContext{}).
		WithPluginConfiguration([]byte(c.pluginConfig())).
		WithProperty(strings.Split(routeNamePath, "\x00"), []byte(c.routeName()))
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		t.Fatalf("plugin start failed: %v", host.GetCriticalLogs())
	}
	id := host.InitializeHttpContext()
	o := &outcome{}
	localReply := func() bool {
		lr := host.GetSentLocalResponse(id)
		if lr == nil {
			return false
		}
		o.status = int(lr.StatusCode)
		o.clientHeaders = lr.Headers
		o.clientBody = string(lr.Data)
		return true
	}

	action := host.CallOnRequestHeaders(id, c.reqHeaders, c.reqChunks == nil && c.reqTrailers == nil)
	for i, chunk := range c.reqChunks {
		if localReply() {
			return o
		}
		action = host.CallOnRequestBody(id, []byte(chunk), i == len(c.reqChunks)-1 && c.reqTrailers == nil)
	}
	if c.reqTrailers != nil && !localReply() {
		action = host.CallOnRequestTrailers(id, c.reqTrailers)
	}
	if localReply() {
		return o
	}
	if action != types.ActionContinue {
		t.Fatalf("request stalled: last action %v", action)
	}
	o.reachedUpstream = true
	o.upstreamHeaders = host.GetCurrentRequestHeaders(id)
	o.upstreamBody = string(host.GetCurrentRequestBody(id))

	action = host.CallOnResponseHeaders(id, c.responseHeaders(), c.respChunks == nil)
	for i, chunk := range c.respChunks {
		if localReply() {
			return o
		}
		action = host.CallOnResponseBody(id, []byte(chunk), i == len(c.respChunks)-1)
	}
	if localReply() {
		return o
	}
	if action != types.ActionContinue {
		t.Fatalf("response stalled: last action %v", action)
	}
	o.clientHeaders = host.GetCurrentResponseHeaders(id)
	o.clientBody = string(host.GetCurrentResponseBody(id))
	o.status, _ = strconv.Atoi(headerValuesOf(o.clientHeaders, ":status")[0])
	host.CompleteHttpContext(id)
	return o
}

func TestExchanges(t *testing.T) {
	for i := range exchangeCases {
		c := &exchangeCases[i]
		t.Run(c.name, func(t *testing.T) { c.check(t, runNative(t, c)) })
	}
}

func TestPluginStartRejectsBadTemplates(t *testing.T) {
	cases := []struct {
		name, config, wantLog string
	}{
		{"empty", ``, "configuration: is empty"},
		{"header template", testConfig(`{"request":{"set":[{"name":"x-a","value":"ok"},{"name":"x-b","value":"\n {{ user. }}"}]}}`),
			`policies["p1"].request.set[1].value: header "x-b": template error at 2:11: expected a name or an index after ".", found "}}"`},
		{"body template", testConfig(`{"response":{"body":{"parseAs":"AsJson","value":"{% if a %}x"}}}`),
			`policies["p1"].response.body.value: body: template error at 1:4: unclosed {% if %}: missing {% endif %}`},
		{"unknown field", testConfig(`{"request":{"sets":[]}}`), `unknown field "sets"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := proxytest.NewEmulatorOption().WithVMContext(&vmContext{}).WithPluginConfiguration([]byte(c.config))
			host, reset := proxytest.NewHostEmulator(opt)
			defer reset()
			if st := host.StartPlugin(); st != types.OnPluginStartStatusFailed {
				t.Fatalf("plugin started with a bad configuration")
			}
			logs := strings.Join(host.GetCriticalLogs(), "\n")
			if !strings.Contains(logs, c.wantLog) {
				t.Fatalf("critical log\n%s\ndoes not contain\n%s", logs, c.wantLog)
			}
		})
	}
}

// Envoy keeps a content-type the filter passes with a local reply (it adds
// text/plain only when there is none), so the error bodies are served as
// JSON.
func TestLocalReplyHeaders(t *testing.T) {
	c := &exchangeCase{
		policy:     `{"request":{"body":{"parseAs":"AsJson"}}}`,
		reqHeaders: post("3"),
		reqChunks:  []string{"{{{"},
		wantStatus: 400,
		wantClient: map[string][]string{"content-type": {"application/json"}, "x-wasp-transform": {"request_body_not_json"}},
	}
	c.check(t, runNative(t, c))
}
