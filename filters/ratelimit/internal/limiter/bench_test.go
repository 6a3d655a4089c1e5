package limiter

import (
	"sync"
	"testing"
	"time"
)

// Benchmarks of the limiter alone over MemoryStore: the cost of the logic
// without any host. Compare with the filter's native and wasm benchmarks.

// roomy never runs dry within a benchmark: 2^31 tokens at one instant.
var roomy = Bucket{MaxTokens: 1 << 31, TokensPerFill: 1 << 31, FillInterval: 50 * time.Millisecond}

// stingy is empty after one request for an hour.
var stingy = Bucket{MaxTokens: 1, TokensPerFill: 1, FillInterval: time.Hour}

func BenchmarkTakeAllowed(b *testing.B) {
	l := newLimiter(NewMemoryStore(), roomy, 1)
	for b.Loop() {
		if !l.Take(0, 0).Allowed {
			b.Fatal("refused")
		}
	}
}

func BenchmarkTakeLimited(b *testing.B) {
	l := newLimiter(NewMemoryStore(), stingy, 1)
	l.Take(0, 0)
	for b.Loop() {
		if l.Take(0, 0).Allowed {
			b.Fatal("allowed")
		}
	}
}

func BenchmarkTakeAllowedPerClientKey(b *testing.B) {
	l := newLimiter(NewMemoryStore(), roomy, 1024)
	o := owner("10.0.0.1")
	for b.Loop() {
		if !l.Take(o, 0).Allowed {
			b.Fatal("refused")
		}
	}
}

// BenchmarkTakeContended2VMs runs two limiters (two worker VMs) on one
// store at once; ns/op is per request, both VMs together.
func BenchmarkTakeContended2VMs(b *testing.B) {
	store := NewMemoryStore()
	vms := []*Limiter{newLimiter(store, roomy, 1), newLimiter(store, roomy, 1)}
	vms[0].Take(0, 0)
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, l := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N/2; i++ {
				if d := l.Take(0, 0); !d.Allowed || d.Err != nil {
					b.Errorf("allowed=%v err=%v", d.Allowed, d.Err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
