package ratelimit

import (
	"strings"
	"testing"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// TestWasmConfigChangeStartsAFreshBucket replays a configuration update the
// way Envoy applies one: a new plugin (new VM) on the same shared data. A
// changed bucket (3 -> 5 tokens) starts full; a change that only touches
// enforcement keeps the old, empty bucket.
func TestWasmConfigChangeStartsAFreshBucket(t *testing.T) {
	wasm := wasmtest.Build(t, "../builtin")
	host := wasmtest.NewHost()
	policy := func(body string) string {
		return `{"policies": {"default/rl": ` + body + `}, "routes": {"ollama": "default/rl"}}`
	}
	allowedOf := func(p *wasmtest.Plugin) (n int) {
		for i := 0; i < 10; i++ {
			res := p.Do(wasmtest.Request{Properties: map[string][]byte{"xds.route_name": wasmtest.PropString("ollama")}}, nil)
			if res.Status() == 200 {
				n++
			}
		}
		return n
	}
	three := host.MustStart(t, wasm, pluginConfig(policy(`{"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "60s"}}`)))
	if n := allowedOf(three); n != 3 {
		t.Fatalf("3-token policy allowed %d", n)
	}
	five := host.MustStart(t, wasm, pluginConfig(policy(`{"tokenBucket": {"maxTokens": 5, "tokensPerFill": 3, "fillInterval": "60s"}}`)))
	if n := allowedOf(five); n != 5 {
		t.Fatalf("after 3 -> 5 allowed %d, want a fresh bucket of 5", n)
	}
	headers := host.MustStart(t, wasm, pluginConfig(policy(`{"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "1m"}, "responseHeaders": true, "percentEnforced": 100}`)))
	if n := allowedOf(headers); n != 0 {
		t.Fatalf("same bucket parameters allowed %d, want the old empty bucket", n)
	}
}

// TestWasmSlotPoolStaysBounded sends 200 distinct clients through a policy
// of 8 slots: shared data holds at most 8 bucket keys, all under the
// filter's prefix.
func TestWasmSlotPoolStaysBounded(t *testing.T) {
	const cfg = `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1m"},
	  "key": {"type": "Header", "header": "x-user"}, "maxKeys": 8}}, "routes": {"ollama": "p"}}`
	r := wasmHarness{}.start(t, cfg, 1).(*wasmRun)
	for i := 0; i < 200; i++ {
		if got := r.do(t, withHeader(0, "x-user", "user-"+string(rune('a'+i%26))+string(rune('a'+i/26)))); got.status != 200 {
			t.Fatalf("client %d: status %d, want 200 (a new client always gets a bucket)", i, got.status)
		}
	}
	keys := r.host.SharedDataKeys(config.BuiltinModule)
	if len(keys) == 0 || len(keys) > 8 {
		t.Fatalf("%d shared-data keys for an 8-slot pool: %q", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, sharedDataPrefix+"p/") {
			t.Fatalf("shared-data key %q outside the policy's prefix", k)
		}
	}
}
