package config

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

// TestRateLimitRoundTrip: what the translator marshals is what the filter
// parses, field for field.
func TestRateLimitRoundTrip(t *testing.T) {
	in := PluginConfig[RateLimit]{
		Policies: map[string]RateLimit{
			"default/ratelimit@httproute/default/ollama": {
				TokenBucket: TokenBucket{MaxTokens: 3, TokensPerFill: ptr[int32](3), FillInterval: "1m0s"},
			},
			"default/per-client": {
				TokenBucket:     TokenBucket{MaxTokens: 10, FillInterval: "1s"},
				Key:             &RateLimitKey{Type: KeyClientAddress, ClientAddress: &ClientAddressKey{Header: "x-forwarded-for", TrustedHops: 1}},
				MaxKeys:         100,
				ResponseHeaders: true,
				PercentEnabled:  ptr[int32](50),
				PercentEnforced: ptr[int32](0),
			},
		},
		Routes:  map[string]string{"default/ollama/rule-0": "default/ratelimit@httproute/default/ollama"},
		Default: "default/per-client",
	}
	data, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseRateLimitPlugin(data)
	if err != nil {
		t.Fatalf("parse %s: %v", data, err)
	}
	if !reflect.DeepEqual(&in, out) {
		t.Fatalf("round trip changed the configuration:\n in %+v\nout %+v", in, *out)
	}
}

func TestRateLimitDefaults(t *testing.T) {
	r := RateLimit{TokenBucket: TokenBucket{MaxTokens: 1, FillInterval: "1s"}}
	if r.TokenBucket.TokensPerFillOrDefault() != 1 || r.PercentEnforcedOrDefault() != 100 || r.MaxKeysOrDefault() != 1 {
		t.Fatalf("defaults without a key: %d %d %d", r.TokenBucket.TokensPerFillOrDefault(), r.PercentEnforcedOrDefault(), r.MaxKeysOrDefault())
	}
	r.Key = &RateLimitKey{Type: KeyRoute}
	if r.MaxKeysOrDefault() != DefaultRateLimitMaxKeys {
		t.Fatalf("maxKeys default with a key: %d", r.MaxKeysOrDefault())
	}
}

// TestRateLimitIdentity: the bucket parameters are in the identity, the
// enforcement knobs are not, and equal durations spelt differently agree.
func TestRateLimitIdentity(t *testing.T) {
	base := RateLimit{TokenBucket: TokenBucket{MaxTokens: 3, TokensPerFill: ptr[int32](3), FillInterval: "60s"}}
	same := base
	same.TokenBucket.FillInterval = "1m0s"
	same.PercentEnforced = ptr[int32](0)
	same.PercentEnabled = ptr[int32](10)
	same.ResponseHeaders = true
	if base.Identity() != same.Identity() {
		t.Fatalf("identity changed with enforcement knobs: %q vs %q", base.Identity(), same.Identity())
	}
	changed := []func(r *RateLimit){
		func(r *RateLimit) { r.TokenBucket.MaxTokens = 5 },
		func(r *RateLimit) { r.TokenBucket.TokensPerFill = ptr[int32](1) },
		func(r *RateLimit) { r.TokenBucket.FillInterval = "30s" },
		func(r *RateLimit) { r.Key = &RateLimitKey{Type: KeyRoute} },
		func(r *RateLimit) {
			r.Key = &RateLimitKey{Type: KeyHeader, Header: "x-user"}
		},
	}
	for i, change := range changed {
		r := base
		change(&r)
		if r.Identity() == base.Identity() {
			t.Errorf("change %d kept the identity %q", i, r.Identity())
		}
	}
}

func TestRateLimitErrorsAreFieldErrors(t *testing.T) {
	_, err := ParseRateLimitPlugin([]byte(`{"policies": {"a": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1s"}, "key": {"type": "Header"}}}}`))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != `policies["a"].key.header` || !strings.Contains(fe.Reason, "required") {
		t.Fatalf("error %v (%T), want a FieldError for policies[\"a\"].key.header", err, err)
	}
}
