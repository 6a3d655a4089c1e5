package limiter

import (
	"testing"
	"time"
)

const second = int64(time.Second)

// seedBucket is the seed's policy: 3 tokens, 3 per 60 s.
var seedBucket = Bucket{MaxTokens: 3, TokensPerFill: 3, FillInterval: 60 * time.Second}

func TestBucketStartsFullAndEmpties(t *testing.T) {
	b := seedBucket
	s := b.Full(0, 0)
	for i := 0; i < 3; i++ {
		var ok bool
		if s, ok = b.Take(s, 0); !ok {
			t.Fatalf("take %d refused", i+1)
		}
	}
	if _, ok := b.Take(s, 0); ok {
		t.Fatal("fourth take at the same instant allowed")
	}
}

func TestBucketRefillsContinuously(t *testing.T) {
	b := seedBucket
	empty := State{Tokens: 0, Last: 0}
	cases := []struct {
		at   int64
		want bool
	}{
		{19*second + 999_999_999, false}, // 0.99999... tokens
		{20 * second, true},              // exactly one token (3 per 60 s)
		{60 * second, true},
	}
	for _, c := range cases {
		if _, ok := b.Take(empty, c.at); ok != c.want {
			t.Errorf("take at %v: allowed=%v, want %v", time.Duration(c.at), ok, c.want)
		}
	}
}

func TestBucketKeepsFractionsAcrossChecks(t *testing.T) {
	b := seedBucket
	s := State{Tokens: 0, Last: 0}
	s, ok := b.Take(s, 10*second) // 0.5 token: refused, fraction kept
	if ok {
		t.Fatal("half a token allowed")
	}
	if _, ok := b.Take(s, 20*second); !ok {
		t.Fatal("0.5 + 0.5 tokens refused")
	}
}

func TestBucketCapsAtMax(t *testing.T) {
	b := seedBucket
	s := b.Refill(State{Tokens: 0, Last: 0}, 3600*second)
	if s.Tokens != 3 {
		t.Fatalf("tokens after an hour = %v, want 3", s.Tokens)
	}
}

func TestBucketIgnoresClockGoingBack(t *testing.T) {
	b := seedBucket
	s := State{Tokens: 1, Last: 100 * second}
	got := b.Refill(s, 50*second)
	if got != s {
		t.Fatalf("refill into the past changed the state: %+v", got)
	}
	// Back to the stored time: still no tokens minted twice.
	if got := b.Refill(got, 100*second); got.Tokens != 1 {
		t.Fatalf("tokens = %v, want 1", got.Tokens)
	}
}

func TestBucketRemainingAndReset(t *testing.T) {
	b := seedBucket
	cases := []struct {
		tokens       float64
		remaining    int64
		resetSeconds int64
		description  string
	}{
		{3, 3, 0, "full"},
		{2, 2, 20, "one used"},
		{0, 0, 60, "empty"},
		{0.5, 0, 50, "half a token"},
	}
	for _, c := range cases {
		s := State{Tokens: c.tokens}
		if got := b.Remaining(s); got != c.remaining {
			t.Errorf("%s: remaining = %d, want %d", c.description, got, c.remaining)
		}
		if got := b.ResetSeconds(s); got != c.resetSeconds {
			t.Errorf("%s: reset = %d, want %d", c.description, got, c.resetSeconds)
		}
	}
}

func TestStateEncodingRoundTrips(t *testing.T) {
	s := State{Tokens: 2.25, Last: 1234567890123, Owner: 0xdeadbeefcafe}
	got, err := decodeState(s.encode(nil))
	if err != nil || got != s {
		t.Fatalf("round trip = %+v, %v; want %+v", got, err, s)
	}
	for _, bad := range [][]byte{nil, make([]byte, 23), make([]byte, 25),
		State{Tokens: -1}.encode(nil)} {
		if _, err := decodeState(bad); err == nil {
			t.Errorf("decodeState(%x) accepted", bad)
		}
	}
}
