package server

import (
	"context"
	"fmt"
	"testing"

	"wasp.dev/xds/internal/irgen"
	"wasp.dev/xds/translator"
)

// benchRoutesPerNode sizes each node's config: a mid-sized gateway.
const benchRoutesPerNode = 1000

// BenchmarkSetSnapshot measures publishing already-translated resources to
// n nodes: re-validation, content hashing (versions), the consistency check
// and the cache update with no watchers. One op publishes to all n nodes.
func BenchmarkSetSnapshot(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			ctx := context.Background()
			srv := New(ctx, Options{})
			nodes := make([]string, n)
			res := make([]*translator.Resources, n)
			for i := range nodes {
				nodes[i] = fmt.Sprintf("bench/gw-%d", i)
				r, err := translator.Translate(irgen.Ingress(nodes[i], benchRoutesPerNode), translator.Options{})
				if err != nil {
					b.Fatal(err)
				}
				res[i] = r
			}
			b.ReportAllocs()
			var bytes int
			for b.Loop() {
				bytes = 0
				for i, node := range nodes {
					s, err := srv.Publish(ctx, node, res[i])
					if err != nil {
						b.Fatal(err)
					}
					bytes += s.Bytes
				}
			}
			b.ReportMetric(float64(bytes), "snapshot-bytes")
		})
	}
}
