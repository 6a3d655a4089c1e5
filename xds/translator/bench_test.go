package translator_test

import (
	"fmt"
	"testing"

	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"

	"wasp.dev/xds/internal/irgen"
	"wasp.dev/xds/translator"
)

// BenchmarkTranslate measures IR → validated Envoy resources for one
// ingress with n routes, each with its own Wasm (rate-limit) policy, in the
// production design (one plugin per filter kind per HCM). Custom metrics:
// snapshot-bytes (serialized resources) and plugins (Wasm plugins emitted).
func BenchmarkTranslate(b *testing.B) {
	benchTranslate(b, translator.Options{})
}

// BenchmarkTranslatePerPolicyPlugins is the same in design a (Envoy
// Gateway's: one disabled plugin per policy, enabled per route), kept to
// compare config size and plugin count (docs/adr/0002-wasm-per-route-config.md).
func BenchmarkTranslatePerPolicyPlugins(b *testing.B) {
	benchTranslate(b, translator.Options{WasmAttachment: translator.PluginPerPolicy})
}

func benchTranslate(b *testing.B, opts translator.Options) {
	for _, n := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("routes=%d", n), func(b *testing.B) {
			p := irgen.Ingress("bench/gw", n)
			b.ReportAllocs()
			var res *translator.Resources
			for b.Loop() {
				var err error
				if res, err = translator.Translate(p, opts); err != nil {
					b.Fatal(err)
				}
			}
			size, plugins := measure(b, res)
			b.ReportMetric(float64(size), "snapshot-bytes")
			b.ReportMetric(float64(plugins), "plugins")
		})
	}
}

func measure(b *testing.B, r *translator.Resources) (size, plugins int) {
	add := func(m proto.Message) {
		n, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		if err != nil {
			b.Fatal(err)
		}
		size += len(n)
	}
	for _, m := range r.Listeners {
		add(m)
		for _, fc := range m.FilterChains {
			for _, f := range fc.Filters {
				var h hcmv3.HttpConnectionManager
				if f.GetTypedConfig().UnmarshalTo(&h) != nil {
					continue // not an HCM
				}
				for _, hf := range h.HttpFilters {
					if hf.GetTypedConfig().MessageIs(&wasmfilterv3.Wasm{}) {
						plugins++
					}
				}
			}
		}
	}
	for _, m := range r.Routes {
		add(m)
	}
	for _, m := range r.Clusters {
		add(m)
	}
	for _, m := range r.Endpoints {
		add(m)
	}
	return size, plugins
}
