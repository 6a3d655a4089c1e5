package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RateLimit is one local rate-limit policy: kgateway's
// TrafficPolicy.spec.rateLimit.local (tokenBucket, percentEnabled,
// percentEnforced) plus wasp's per-client buckets (key, maxKeys) and
// x-ratelimit-* headers.
//
// The rate-limit plugin's configuration is PluginConfig[RateLimit]; parse it
// with ParseRateLimitPlugin so the filter and the translator agree on what is
// valid.
type RateLimit struct {
	// TokenBucket is the bucket's size and refill rate (kgateway field names).
	TokenBucket TokenBucket `json:"tokenBucket"`
	// Key splits the policy into one bucket per distinct key value (per
	// client, per header value, per route). Nil means one bucket per policy.
	Key *RateLimitKey `json:"key,omitempty"`
	// MaxKeys bounds the per-key buckets: they live in a fixed pool of this
	// many hashed slots. Only with Key; default DefaultRateLimitMaxKeys.
	MaxKeys int32 `json:"maxKeys,omitempty"`
	// ResponseHeaders adds x-ratelimit-limit (maxTokens),
	// x-ratelimit-remaining (whole tokens left) and x-ratelimit-reset
	// (seconds until the bucket is full) to allowed and limited responses.
	ResponseHeaders bool `json:"responseHeaders,omitempty"`
	// PercentEnabled is the share (0-100) of requests the limiter sees at
	// all; the rest pass without taking a token. Default 100 (kgateway's
	// percentEnabled; Envoy's filter_enabled).
	PercentEnabled *int32 `json:"percentEnabled,omitempty"`
	// PercentEnforced is the share (0-100) of limited requests that are
	// rejected; the rest pass and count as shadow-limited. Default 100;
	// 0 is shadow mode.
	PercentEnforced *int32 `json:"percentEnforced,omitempty"`
}

// TokenBucket mirrors kgateway's api/v1alpha1 TokenBucket.
type TokenBucket struct {
	// MaxTokens is the bucket's capacity and its initial content (≥ 1).
	MaxTokens int32 `json:"maxTokens"`
	// TokensPerFill is the number of tokens added per FillInterval (≥ 1,
	// default 1). Refill is continuous: fractions of a token accrue.
	TokensPerFill *int32 `json:"tokensPerFill,omitempty"`
	// FillInterval is a Go duration string such as "60s" or "1m0s" (≥ 50ms,
	// the minimum Envoy and kgateway accept).
	FillInterval string `json:"fillInterval"`
}

// RateLimitKey chooses what identifies a client's bucket.
type RateLimitKey struct {
	// Type is ClientAddress, Header or Route.
	Type RateLimitKeyType `json:"type"`
	// Header names the request header whose value is the key (Type Header).
	Header string `json:"header,omitempty"`
	// ClientAddress says where the client address comes from (Type
	// ClientAddress); nil means the connection's source address.
	ClientAddress *ClientAddressKey `json:"clientAddress,omitempty"`
}

// RateLimitKeyType names a source of bucket keys.
type RateLimitKeyType string

const (
	// KeyClientAddress keys buckets by the client's IP address (no port).
	KeyClientAddress RateLimitKeyType = "ClientAddress"
	// KeyHeader keys buckets by a request header's value; requests without
	// the header share one bucket.
	KeyHeader RateLimitKeyType = "Header"
	// KeyRoute keys buckets by the matched route's name, so one policy
	// attached to several routes limits each route separately.
	KeyRoute RateLimitKeyType = "Route"
)

// ClientAddressKey reads the client address from a forwarding header instead
// of the connection, trusting a fixed number of proxy hops (as Envoy's
// xff_num_trusted_hops): with TrustedHops N the client is the (N+1)th address
// from the right of the header. A header with too few addresses falls back to
// the connection's source address.
type ClientAddressKey struct {
	// Header is the forwarding header, e.g. x-forwarded-for.
	Header string `json:"header"`
	// TrustedHops is how many right-most entries were appended by trusted
	// proxies (0 to MaxTrustedHops).
	TrustedHops int32 `json:"trustedHops,omitempty"`
}

// Limits and defaults of RateLimit.
const (
	// MinFillInterval is Envoy's floor for token_bucket.fill_interval (and
	// kgateway's CRD rule), to avoid refill storms.
	MinFillInterval = 50 * time.Millisecond
	// DefaultRateLimitMaxKeys is the slot pool size when Key is set and
	// MaxKeys is not: enough for a typical set of clients of one route, at
	// about 100 bytes of shared memory per used slot.
	DefaultRateLimitMaxKeys = 1024
	// MaxRateLimitMaxKeys caps the slot pool: shared data has no delete, so
	// every slot ever touched stays allocated for the life of the VM id.
	MaxRateLimitMaxKeys = 65536
	// MaxTrustedHops is far beyond any real proxy chain; it only keeps a
	// typo from silently meaning "always use the connection address".
	MaxTrustedHops = 16
	// DefaultPercentEnforced rejects every limited request.
	DefaultPercentEnforced = 100
)

// What the rate limiter reports, for the access-log filter and for tests.
const (
	// RateLimitedFilterStateKey is the one-segment property the rate limiter
	// sets on a rejected request. Envoy stores it as filter state
	// "wasm.wasp_ratelimited" (see RateLimitedFilterStateName); the
	// access-log filter reads it to print the RL response flag, which a Wasm
	// local reply cannot set in Envoy's own flags.
	RateLimitedFilterStateKey = "wasp_ratelimited"
	// RateLimitedFilterStateName is the filter state name Envoy gives the
	// marker, as used in %FILTER_STATE(wasm.wasp_ratelimited:PLAIN)%.
	RateLimitedFilterStateName = "wasm." + RateLimitedFilterStateKey
	// RateLimitedMarkerValue is the marker's value: the response flag itself.
	RateLimitedMarkerValue = "RL"
	// RateLimitedBody is the body of the 429, byte for byte Envoy's local
	// rate limit reply (Envoy adds content-type: text/plain).
	RateLimitedBody = "local_rate_limited"
	// RateLimitedStatus is the status of a rejected request.
	RateLimitedStatus = 429
)

// FieldError is a configuration error that names the offending field by its
// JSON path, e.g. policies["a"].tokenBucket.maxTokens.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// prefixed returns err with its field path under parent.
func prefixed(parent string, err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return &FieldError{Field: parent + "." + fe.Field, Reason: fe.Reason}
	}
	return fmt.Errorf("%s: %w", parent, err)
}

// FillIntervalDuration parses FillInterval.
func (t *TokenBucket) FillIntervalDuration() (time.Duration, error) {
	if t.FillInterval == "" {
		return 0, fieldErr("fillInterval", "is required (a duration such as \"60s\")")
	}
	d, err := time.ParseDuration(t.FillInterval)
	if err != nil {
		return 0, fieldErr("fillInterval", "%q is not a duration such as \"60s\"", t.FillInterval)
	}
	if d < MinFillInterval {
		return 0, fieldErr("fillInterval", "%q is below the minimum of %s", t.FillInterval, MinFillInterval)
	}
	return d, nil
}

// TokensPerFillOrDefault returns TokensPerFill, defaulting to 1 as kgateway does.
func (t *TokenBucket) TokensPerFillOrDefault() int32 {
	if t.TokensPerFill == nil {
		return 1
	}
	return *t.TokensPerFill
}

// Validate checks the bucket; errors name the field relative to tokenBucket.
func (t *TokenBucket) Validate() error {
	if t.MaxTokens < 1 {
		return fieldErr("maxTokens", "must be at least 1, got %d", t.MaxTokens)
	}
	if t.TokensPerFill != nil && *t.TokensPerFill < 1 {
		return fieldErr("tokensPerFill", "must be at least 1, got %d", *t.TokensPerFill)
	}
	_, err := t.FillIntervalDuration()
	return err
}

// Validate checks the key; errors name the field relative to key.
func (k *RateLimitKey) Validate() error {
	switch k.Type {
	case KeyClientAddress:
		if k.Header != "" {
			return fieldErr("header", "is only for type %s; use clientAddress.header", KeyHeader)
		}
		if ca := k.ClientAddress; ca != nil {
			if ca.Header == "" {
				return fieldErr("clientAddress.header", "is required (e.g. x-forwarded-for); omit clientAddress to use the connection address")
			}
			if err := validHeaderName(ca.Header); err != nil {
				return fieldErr("clientAddress.header", "%v", err)
			}
			if ca.TrustedHops < 0 || ca.TrustedHops > MaxTrustedHops {
				return fieldErr("clientAddress.trustedHops", "must be between 0 and %d, got %d", MaxTrustedHops, ca.TrustedHops)
			}
		}
	case KeyHeader:
		if k.Header == "" {
			return fieldErr("header", "is required for type %s", KeyHeader)
		}
		if err := validHeaderName(k.Header); err != nil {
			return fieldErr("header", "%v", err)
		}
		if k.ClientAddress != nil {
			return fieldErr("clientAddress", "is only for type %s", KeyClientAddress)
		}
	case KeyRoute:
		if k.Header != "" {
			return fieldErr("header", "is only for type %s", KeyHeader)
		}
		if k.ClientAddress != nil {
			return fieldErr("clientAddress", "is only for type %s", KeyClientAddress)
		}
	case "":
		return fieldErr("type", "is required: one of %s, %s, %s", KeyClientAddress, KeyHeader, KeyRoute)
	default:
		return fieldErr("type", "%q is not one of %s, %s, %s", k.Type, KeyClientAddress, KeyHeader, KeyRoute)
	}
	return nil
}

// validHeaderName accepts lower-case HTTP/2 header names (Envoy lower-cases
// every header name, so an upper-case name would never match).
func validHeaderName(name string) error {
	if strings.HasPrefix(name, ":") {
		return fmt.Errorf("%q is a pseudo-header; name a regular request header", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return fmt.Errorf("%q is not a lower-case header name", name)
		}
	}
	return nil
}

// Validate checks one policy; errors name the field by its JSON path within
// the policy (e.g. tokenBucket.fillInterval).
func (r *RateLimit) Validate() error {
	if err := r.TokenBucket.Validate(); err != nil {
		return prefixed("tokenBucket", err)
	}
	if r.Key != nil {
		if err := r.Key.Validate(); err != nil {
			return prefixed("key", err)
		}
	}
	if r.MaxKeys != 0 {
		if r.Key == nil {
			return fieldErr("maxKeys", "is only valid with key")
		}
		if r.MaxKeys < 1 || r.MaxKeys > MaxRateLimitMaxKeys {
			return fieldErr("maxKeys", "must be between 1 and %d, got %d", MaxRateLimitMaxKeys, r.MaxKeys)
		}
	}
	if p := r.PercentEnabled; p != nil && (*p < 0 || *p > 100) {
		return fieldErr("percentEnabled", "must be between 0 and 100, got %d", *p)
	}
	if p := r.PercentEnforced; p != nil && (*p < 0 || *p > 100) {
		return fieldErr("percentEnforced", "must be between 0 and 100, got %d", *p)
	}
	return nil
}

// MaxKeysOrDefault returns the slot pool size: 1 without a key, else MaxKeys
// or DefaultRateLimitMaxKeys.
func (r *RateLimit) MaxKeysOrDefault() int32 {
	switch {
	case r.Key == nil:
		return 1
	case r.MaxKeys == 0:
		return DefaultRateLimitMaxKeys
	default:
		return r.MaxKeys
	}
}

// PercentEnabledOrDefault returns PercentEnabled, default 100.
func (r *RateLimit) PercentEnabledOrDefault() int32 {
	if r.PercentEnabled == nil {
		return 100
	}
	return *r.PercentEnabled
}

// PercentEnforcedOrDefault returns PercentEnforced, default 100.
func (r *RateLimit) PercentEnforcedOrDefault() int32 {
	if r.PercentEnforced == nil {
		return DefaultPercentEnforced
	}
	return *r.PercentEnforced
}

// Identity is a canonical text of every field that shapes a bucket's state
// (capacity, rate, key source, slot count). The rate limiter names its
// shared-data keys after the policy key plus a hash of this text, so a
// changed policy (maxTokens 3 -> 5) starts from a fresh full bucket instead
// of inheriting a state computed under other parameters. Fields that do not
// touch the state (responseHeaders, percentEnabled, percentEnforced) are
// left out, so toggling shadow mode keeps the bucket.
func (r *RateLimit) Identity() string {
	var b strings.Builder
	interval, _ := r.TokenBucket.FillIntervalDuration()
	b.WriteString("max=" + strconv.Itoa(int(r.TokenBucket.MaxTokens)))
	b.WriteString(";fill=" + strconv.Itoa(int(r.TokenBucket.TokensPerFillOrDefault())))
	b.WriteString(";every=" + strconv.FormatInt(int64(interval), 10))
	b.WriteString(";slots=" + strconv.Itoa(int(r.MaxKeysOrDefault())))
	if k := r.Key; k != nil {
		b.WriteString(";key=" + string(k.Type) + ":" + k.Header)
		if ca := k.ClientAddress; ca != nil {
			b.WriteString(";xff=" + ca.Header + ":" + strconv.Itoa(int(ca.TrustedHops)))
		}
	}
	return b.String()
}

// ValidateRateLimitPlugin checks every policy and that every route and the
// default name an existing policy. Policies are checked in key order, so the
// error is deterministic.
func ValidateRateLimitPlugin(c *PluginConfig[RateLimit]) error {
	return validatePlugin(c)
}

// ParseRateLimitPlugin decodes and validates the rate-limit plugin's
// configuration. Unknown fields are errors (a misspelt field would otherwise
// silently mean its default).
func ParseRateLimitPlugin(data []byte) (*PluginConfig[RateLimit], error) {
	var c PluginConfig[RateLimit]
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("configuration: is empty; expected a JSON object with policies and routes")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, jsonError(err)
	}
	if dec.More() {
		return nil, errors.New("configuration: trailing data after the JSON object")
	}
	if err := ValidateRateLimitPlugin(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// jsonError rewrites encoding/json's errors to name the field the way
// Validate does.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fieldErr(typeErr.Field, "is a JSON %s, want %s", typeErr.Value, typeErr.Type)
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("configuration: not valid JSON at byte %d: %v", syntaxErr.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("configuration: %s (misspelt or unsupported)", strings.TrimPrefix(err.Error(), "json: "))
	default:
		return fmt.Errorf("configuration: not valid JSON: %v", err)
	}
}
