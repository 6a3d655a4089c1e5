package e2e

import (
	"testing"
	"time"
)

// BenchmarkPropagation measures how long a policy change takes from the
// API server accepting it to the proxy's ADS client receiving the snapshot
// that carries it: the seed's TrafficPolicy toggled between maxTokens 3
// and 5, each iteration one change. Reported as ms/op and as the
// propagation_ms metric; it is a measurement, never an assertion.
func BenchmarkPropagation(b *testing.B) {
	in := installed(b)
	applySeedB(b, in, "waypoint-ollama")
	ads := connectProxy(b, in, waypointNS, waypointName)
	waitXDS(b, ads, "maxTokens 3", hasOllamaRateLimit(3))
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 5
		if i%2 == 1 {
			n = 3
		}
		start := time.Now()
		updateMaxTokens(b, in, n)
		if _, err := ads.WaitFor(withTimeout(b, xdsTimeout), hasOllamaRateLimit(n)); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "propagation_ms")
	if b.N%2 == 1 {
		updateMaxTokens(b, in, 3)
	}
}
