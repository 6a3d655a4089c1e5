package ratelimit

import (
	"strconv"

	"wasp.dev/filters/config"
	"wasp.dev/filters/ratelimit/internal/clientkey"
	"wasp.dev/filters/ratelimit/internal/limiter"
)

// sharedDataPrefix starts every shared-data key of this filter. Shared data
// is namespaced by vm_id only, so other plugins in the same VM must not
// collide with it.
const sharedDataPrefix = "wasp.ratelimit/"

// policy is one validated RateLimit, ready to serve requests.
type policy struct {
	cfg      config.RateLimit
	limiter  limiter.Limiter
	seed     uint64 // hashes key values into this policy's slots
	enabled  limiter.Sampler
	enforced limiter.Sampler
}

// newPolicy compiles a validated policy. Its buckets are named
// "wasp.ratelimit/<policy key>/<hash of the bucket parameters>/<slot>": the
// policy key gives one bucket per policy attachment shared by every worker,
// and the parameter hash (config.RateLimit.Identity) makes a changed bucket
// (maxTokens 3 -> 5, another key source) start fresh and full.
func newPolicy(key string, rl config.RateLimit, store limiter.Store) (*policy, error) {
	interval, err := rl.TokenBucket.FillIntervalDuration()
	if err != nil {
		return nil, err
	}
	identity := limiter.HashString(rl.Identity())
	prefix := sharedDataPrefix + key + "/" + strconv.FormatUint(identity, 16) + "/"
	return &policy{
		cfg: rl,
		limiter: limiter.Limiter{
			Bucket: limiter.Bucket{
				MaxTokens:     float64(rl.TokenBucket.MaxTokens),
				TokensPerFill: float64(rl.TokenBucket.TokensPerFillOrDefault()),
				FillInterval:  interval,
			},
			Pool:  limiter.NewPool(prefix, uint32(rl.MaxKeysOrDefault())),
			Store: store,
		},
		seed:     limiter.HashString(key + "\x00" + rl.Identity()),
		enabled:  limiter.Sampler{Percent: rl.PercentEnabledOrDefault()},
		enforced: limiter.Sampler{Percent: rl.PercentEnforcedOrDefault()},
	}, nil
}

// requestView is what key extraction may read from a request; the filter
// backs it with host calls, tests and the fuzzer with plain values.
type requestView interface {
	header(name string) string       // first value
	headerJoined(name string) string // every value, joined with ","
	sourceAddress() string
}

// owner returns the hash naming the request's bucket: 0 for a policy-wide
// bucket, else the hash of the key value.
func (p *policy) owner(req requestView, route string) uint64 {
	if p.cfg.Key == nil {
		return 0
	}
	return limiter.HashKey(p.seed, keyValue(p.cfg.Key, req, route))
}

// keyValue extracts the key value; a missing header yields "", so all
// requests without it share one bucket (they are not let through unlimited).
func keyValue(k *config.RateLimitKey, req requestView, route string) string {
	switch k.Type {
	case config.KeyHeader:
		return clientkey.Clamp(req.header(k.Header))
	case config.KeyRoute:
		return clientkey.Clamp(route)
	default: // config.KeyClientAddress
		if ca := k.ClientAddress; ca != nil {
			if v, ok := clientkey.FromForwarded(req.headerJoined(ca.Header), int(ca.TrustedHops)); ok {
				return v
			}
		}
		return clientkey.HostOnly(req.sourceAddress())
	}
}

// decide takes a token and reports whether to reject the request, and the
// response headers to add (nil unless responseHeaders, and nil when shared
// data failed: there is no bucket state to report).
func (p *policy) decide(owner uint64, at int64) (limiter.Decision, bool, [][2]string) {
	d := p.limiter.Take(owner, at)
	reject := !d.Allowed && p.enforced.Sample()
	var headers [][2]string
	if p.cfg.ResponseHeaders && d.Err == nil {
		b := &p.limiter.Bucket
		headers = [][2]string{
			{"x-ratelimit-limit", strconv.FormatInt(int64(p.cfg.TokenBucket.MaxTokens), 10)},
			{"x-ratelimit-remaining", strconv.FormatInt(b.Remaining(d.State), 10)},
			{"x-ratelimit-reset", strconv.FormatInt(b.ResetSeconds(d.State), 10)},
		}
	}
	return d, reject, headers
}
