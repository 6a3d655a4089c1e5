package e2e

import (
	"net/netip"
	"testing"

	"wasp.dev/e2e/envoysim"
)

// splitRequests is how many requests measure a weighted split; with the
// simulation's seeded random picks the counts are reproducible, and the
// bounds below leave room for any seed.
const splitRequests = 1000

// hasChain reports whether the 15088 listener has a filter chain whose
// match names the VIP.
func hasChain(vip string) func(*envoysim.Resources) bool {
	return func(res *envoysim.Resources) bool {
		l := listenerOnPort(res, 15088)
		if l == nil {
			return false
		}
		for _, fc := range l.GetFilterChains() {
			for _, r := range fc.GetFilterChainMatch().GetPrefixRanges() {
				if r.GetAddressPrefix() == vip {
					return true
				}
			}
		}
		return false
	}
}

// split sends splitRequests through the waypoint to dst and counts the
// upstream endpoints.
func split(t *testing.T, sim *envoysim.Proxy, dst, authority string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for range splitRequests {
		ex, err := sim.Do(envoysim.Request{ListenerPort: 15088, Destination: netip.MustParseAddrPort(dst), Authority: authority, Path: "/reviews/1"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status() != 200 {
			t.Fatalf("status %d via %s (%s)", ex.Status(), ex.Cluster, ex.ResponseFlags)
		}
		counts[ex.Endpoint]++
	}
	return counts
}

// TestSeedGammaReviews: seed 000's Service parentRef route, 90% to
// reviews-v1 and 10% to reviews-v2, on the default namespace's waypoint.
// reviews-v2's second endpoint is not ready and must never get traffic.
func TestSeedGammaReviews(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "waypoint-ollama") // the waypoint and the namespace's use-waypoint label
	applySeed(t, in, "gamma-reviews")
	waitGateway(t, in, waypointNS, waypointName)
	waitRouteParents(t, in, "default", "reviews-route", "True", "True")
	ads := connectProxy(t, in, waypointNS, waypointName)
	res := waitXDS(t, ads, "the reviews chain", hasChain("10.96.10.10"))
	sim := newSim(t, in, ads, res, envoysim.Options{Seed: 4})
	counts := split(t, sim, "10.96.10.10:9080", "reviews:9080")
	v1, v2 := counts["10.244.1.21:9080"], counts["10.244.1.22:9080"]
	if v1+v2 != splitRequests || v1 < 850 || v1 > 950 {
		t.Errorf("90/10 split over %d requests: %v", splitRequests, counts)
	}
}

// TestSeedGammaBookinfo: seed 001's route (weights 1:1) on the bookinfo
// namespace's own waypoint (class wasp-waypoint); ratings opted out with
// istio.io/use-waypoint: none gets no filter chain.
func TestSeedGammaBookinfo(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "gamma-bookinfo")
	waitGateway(t, in, "bookinfo", "waypoint")
	waitRouteParents(t, in, "bookinfo", "bookinfo-reviews", "True", "True")
	ads := connectProxy(t, in, "bookinfo", "waypoint")
	res := waitXDS(t, ads, "the bookinfo reviews chain", hasChain("10.96.20.10"))
	if hasChain("10.96.20.13")(res) {
		t.Error("ratings (istio.io/use-waypoint: none) has a filter chain on the waypoint")
	}
	sim := newSim(t, in, ads, res, envoysim.Options{Seed: 5})
	counts := map[string]int{}
	for range splitRequests {
		ex, err := sim.Do(envoysim.Request{ListenerPort: 15088, Destination: netip.MustParseAddrPort("10.96.20.10:9080"), Authority: "reviews.bookinfo:9080"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		counts[ex.Cluster]++
	}
	if len(counts) != 2 {
		t.Fatalf("clusters %v, want reviews-v1 and reviews-v2", counts)
	}
	for c, n := range counts {
		if n < 430 || n > 570 {
			t.Errorf("50/50 split over %d requests: %s got %d (%v)", splitRequests, c, n, counts)
		}
	}
}
