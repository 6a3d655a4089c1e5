// Package limiter is the rate limiter's logic without the proxy-wasm host: the
// token bucket arithmetic, its shared-data encoding, the pool of hashed slots
// for per-client buckets and the compare-and-swap loop over a Store. The
// filter plugs Envoy's shared data in as the Store; tests and benchmarks use
// MemoryStore, which has Envoy's semantics.
package limiter

import (
	"math"
	"time"
)

// Bucket holds a token bucket's parameters, as Envoy's token bucket: it
// starts full and refills continuously at TokensPerFill per FillInterval,
// fractions kept, up to MaxTokens.
type Bucket struct {
	MaxTokens     float64
	TokensPerFill float64
	FillInterval  time.Duration
}

// State is one bucket's mutable part, as stored in shared data.
type State struct {
	// Tokens available at Last (fractions kept).
	Tokens float64
	// Last is the wall-clock time (Unix nanoseconds) Tokens was computed at.
	// Wall clock, not Go's monotonic clock: each VM's Go runtime starts its
	// monotonic clock at its own zero, so only the wall clock is comparable
	// across the worker VMs that share a bucket.
	Last int64
	// Owner is the hash of the key value that owns this slot (0 for a
	// policy-wide bucket); another owner evicts it.
	Owner uint64
}

// Full returns a fresh bucket owned by owner at time now.
func (b *Bucket) Full(owner uint64, now int64) State {
	return State{Tokens: b.MaxTokens, Last: now, Owner: owner}
}

// Refill returns s advanced to now. A clock that went backwards (an NTP step
// on the host) adds nothing and keeps Last, so no tokens are minted twice.
func (b *Bucket) Refill(s State, now int64) State {
	if now <= s.Last {
		return s
	}
	// elapsed × tokensPerFill / fillInterval in this order: with 3 per 60 s,
	// 20 s gives exactly 1.0 (a precomputed per-nanosecond rate would not).
	added := float64(now-s.Last) * b.TokensPerFill / float64(b.FillInterval)
	s.Tokens = math.Min(b.MaxTokens, s.Tokens+added)
	s.Last = now
	return s
}

// Take refills s to now and takes one token if there is one. It returns the
// new state and whether a token was taken.
func (b *Bucket) Take(s State, now int64) (State, bool) {
	s = b.Refill(s, now)
	if s.Tokens < 1 {
		return s, false
	}
	s.Tokens--
	return s, true
}

// Remaining is the whole tokens left in s (x-ratelimit-remaining).
func (b *Bucket) Remaining(s State) int64 {
	if s.Tokens <= 0 {
		return 0
	}
	return int64(math.Floor(s.Tokens))
}

// ResetSeconds is how many whole seconds, rounded up, until s is full again
// (x-ratelimit-reset, "seconds until the quota resets" in the IETF draft).
func (b *Bucket) ResetSeconds(s State) int64 {
	missing := b.MaxTokens - s.Tokens
	if missing <= 0 {
		return 0
	}
	seconds := math.Ceil(missing * b.FillInterval.Seconds() / b.TokensPerFill)
	// A float beyond int64 converts to an unspecified value; cap it (2^53 s
	// is longer than any bucket can take to fill).
	return int64(math.Min(seconds, 1<<53))
}
