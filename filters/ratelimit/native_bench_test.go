package ratelimit

import "testing"

// Benchmark configurations: "roomy" never runs dry within a benchmark,
// "stingy" is empty after its first request.
const (
	roomyConfig  = `{"policies": {"p": {"tokenBucket": {"maxTokens": 2147483647, "tokensPerFill": 2147483647, "fillInterval": "50ms"}}}, "routes": {"ollama": "p"}}`
	stingyConfig = `{"policies": {"p": {"tokenBucket": {"maxTokens": 1, "fillInterval": "1h"}}}, "routes": {"ollama": "p"}}`
)

// benchRequests sends b.N requests through a harness run and checks each.
func benchRequests(b *testing.B, r run, want int) {
	for b.Loop() {
		if got := r.do(b, ollama(0)); got.status != want {
			b.Fatalf("status %d, want %d", got.status, want)
		}
	}
}

func BenchmarkNativeAllowed(b *testing.B) {
	r := nativeHarness{}.start(b, roomyConfig, 1)
	benchRequests(b, r, 200)
}

func BenchmarkNativeLimited(b *testing.B) {
	r := nativeHarness{}.start(b, stingyConfig, 1)
	r.do(b, ollama(0))
	benchRequests(b, r, 429)
}
