package ratelimit

import (
	"errors"
	"strings"
	"testing"

	"wasp.dev/filters/config"
	"wasp.dev/filters/ratelimit/internal/limiter"
)

func mustPolicy(t testing.TB, key, policyJSON string, store limiter.Store) *policy {
	t.Helper()
	cfg, err := config.ParseRateLimitPlugin([]byte(`{"policies": {"` + key + `": ` + policyJSON + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPolicy(key, cfg.Policies[key], store)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func takeN(p *policy, n int, at int64) (allowed int) {
	for i := 0; i < n; i++ {
		if d, reject, _ := p.decide(0, at); d.Allowed && !reject {
			allowed++
		}
	}
	return allowed
}

// TestPolicyChangeStartsAFreshBucket: the shared-data key carries a hash of
// the bucket parameters, so raising maxTokens from 3 to 5 does not inherit
// the old, empty state; a change that does not shape the bucket
// (percentEnforced, responseHeaders) keeps it.
func TestPolicyChangeStartsAFreshBucket(t *testing.T) {
	store := limiter.NewMemoryStore()
	three := mustPolicy(t, "ns/rl", `{"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "60s"}}`, store)
	if got := takeN(three, 10, 0); got != 3 {
		t.Fatalf("3-token policy allowed %d", got)
	}
	five := mustPolicy(t, "ns/rl", `{"tokenBucket": {"maxTokens": 5, "tokensPerFill": 3, "fillInterval": "60s"}}`, store)
	if got := takeN(five, 10, 0); got != 5 {
		t.Fatalf("after 3 -> 5 allowed %d, want a fresh bucket of 5", got)
	}
	headers := mustPolicy(t, "ns/rl", `{"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "1m0s"}, "responseHeaders": true}`, store)
	if got := takeN(headers, 10, 0); got != 0 {
		t.Fatalf("same bucket with responseHeaders allowed %d, want the old empty bucket", got)
	}
	other := mustPolicy(t, "ns/other", `{"tokenBucket": {"maxTokens": 3, "tokensPerFill": 3, "fillInterval": "60s"}}`, store)
	if got := takeN(other, 10, 0); got != 3 {
		t.Fatalf("another policy key allowed %d, want its own bucket of 3", got)
	}
}

func TestPolicySharedDataKeys(t *testing.T) {
	store := limiter.NewMemoryStore()
	p := mustPolicy(t, "default/ratelimit@httproute/default/ollama", `{"tokenBucket": {"maxTokens": 3, "fillInterval": "60s"}}`, store)
	key := p.limiter.Pool.Key(0)
	if !strings.HasPrefix(key, "wasp.ratelimit/default/ratelimit@httproute/default/ollama/") || !strings.HasSuffix(key, "/0") {
		t.Fatalf("shared-data key %q", key)
	}
}

// fakeRequest is a requestView over plain values.
type fakeRequest struct {
	headers map[string]string
	source  string
}

func (f fakeRequest) header(name string) string       { return f.headers[name] }
func (f fakeRequest) headerJoined(name string) string { return f.headers[name] }
func (f fakeRequest) sourceAddress() string           { return f.source }

// FuzzConfigAndKey parses any configuration; a valid one is compiled and
// serves a request built from the fuzzed header, address and route: nothing
// panics, a parsed configuration re-validates, and buckets stay within
// their pool.
func FuzzConfigAndKey(f *testing.F) {
	f.Add([]byte(seedConfig), "x-forwarded-for", "1.1.1.1, 2.2.2.2", "10.0.0.1:1", "ollama")
	f.Add([]byte(`{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "50ms"}, "key": {"type": "ClientAddress", "clientAddress": {"header": "x-forwarded-for", "trustedHops": 16}}, "maxKeys": 3}}, "default": "p"}`),
		"x-forwarded-for", ",,,", "[::1", "")
	f.Add([]byte(`{"policies": {"p": {"tokenBucket": {"maxTokens": 2147483647, "tokensPerFill": 2147483647, "fillInterval": "2562047h"}, "key": {"type": "Header", "header": "x-user"}, "percentEnforced": 0}}, "routes": {"r": "p"}}`),
		"x-user", "\x00", "", "r")
	f.Add([]byte(`{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Route"}}}, "routes": {"": "p"}}`),
		"", "", "", "")
	for _, c := range invalidConfigs {
		f.Add([]byte(c.config), "", "", "", "")
	}
	f.Fuzz(func(t *testing.T, data []byte, headerName, headerValue, source, route string) {
		cfg, err := config.ParseRateLimitPlugin(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if err := config.ValidateRateLimitPlugin(cfg); err != nil {
			t.Fatalf("parsed configuration does not re-validate: %v", err)
		}
		req := fakeRequest{headers: map[string]string{headerName: headerValue}, source: source}
		for _, key := range sortedNames(cfg.Policies) {
			store := limiter.NewMemoryStore()
			p, err := newPolicy(key, cfg.Policies[key], store)
			if err != nil {
				t.Fatalf("valid policy %q does not compile: %v", key, err)
			}
			for i := 0; i < 3; i++ {
				p.decide(p.owner(req, route), emulatedStart+int64(i))
			}
			if store.Len() > 2 {
				t.Fatalf("one key value touched %d slots", store.Len())
			}
		}
	})
}

// brokenStore fails every shared-data call.
type brokenStore struct{}

func (brokenStore) Get(string) ([]byte, uint32, bool, error) {
	return nil, 0, false, errors.New("shared data unavailable")
}
func (brokenStore) Set(string, []byte, uint32) (bool, error) {
	return false, errors.New("shared data unavailable")
}

// TestPolicyFailsOpen: when shared data fails the request passes, the error
// is reported for the counter, and no made-up x-ratelimit-* headers go out.
func TestPolicyFailsOpen(t *testing.T) {
	p := mustPolicy(t, "p", `{"tokenBucket": {"maxTokens": 1, "fillInterval": "1h"}, "responseHeaders": true}`, brokenStore{})
	for i := 0; i < 3; i++ {
		d, reject, headers := p.decide(0, emulatedStart)
		if !d.Allowed || reject || d.Err == nil || headers != nil {
			t.Fatalf("request %d: allowed=%v reject=%v err=%v headers=%q", i, d.Allowed, reject, d.Err, headers)
		}
	}
}
