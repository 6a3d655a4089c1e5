package ratelimit

import (
	"sync"
	"testing"

	"wasp.dev/filters/wasmtest"
)

func BenchmarkWasmAllowed(b *testing.B) {
	r := wasmHarness{}.start(b, roomyConfig, 1)
	benchRequests(b, r, 200)
}

func BenchmarkWasmLimited(b *testing.B) {
	r := wasmHarness{}.start(b, stingyConfig, 1)
	r.do(b, ollama(0))
	benchRequests(b, r, 429)
}

// BenchmarkWasmContended2VMs runs two VMs from two goroutines on one bucket;
// ns/op is per request, both VMs together.
func BenchmarkWasmContended2VMs(b *testing.B) {
	r := wasmHarness{}.start(b, roomyConfig, 2).(*wasmRun)
	r.do(b, ollama(0))
	req := wasmtest.Request{Properties: map[string][]byte{"xds.route_name": wasmtest.PropString("ollama")}}
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, p := range r.vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N/2; i++ {
				if res := p.Do(req, nil); res.Status() != 200 {
					b.Errorf("status %d", res.Status())
					return
				}
			}
		}()
	}
	wg.Wait()
}
