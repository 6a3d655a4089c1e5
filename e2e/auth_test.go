package e2e

import (
	"context"
	"strings"
	"testing"

	"wasp.dev/e2e/envoysim"
	"wasp.dev/e2e/harness"
)

// TestProxyAuthentication: against the controller process, a client
// without a proxy certificate, or with one Gateway's certificate claiming
// another Gateway's node, gets no configuration (docs/security.md); the
// right certificate gets its own (the seed tests show that in full).
func TestProxyAuthentication(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "ingress-httpbin")
	node, err := in.Applier.NodeID(withTimeout(t, statusTimeout), "kgateway-system", "http")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := in.Applier.ProxyCredentials(withTimeout(t, statusTimeout), "kgateway-system", "http")
	if err != nil {
		t.Fatal(err)
	}
	anything := func(*envoysim.Resources) bool { return true }
	for _, tc := range []struct {
		name, claim, want string
		withCreds         bool
	}{
		{"no certificate", node, "", false},
		{"claiming another node", "bookinfo/waypoint", "PermissionDenied", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := creds
			if !tc.withCreds {
				c = nil
			}
			ads, err := harness.DialADS(context.Background(), in.Addr.XDS, tc.claim, c)
			var res *envoysim.Resources
			if err == nil {
				defer ads.Close()
				res, err = ads.WaitFor(withTimeout(t, xdsTimeout), anything)
			}
			if err == nil {
				t.Fatalf("got %d listeners and %d clusters, want nothing", len(res.Listeners), len(res.Clusters))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("stream error %v, want %s", err, tc.want)
			}
		})
	}
	ads, err := harness.DialADS(context.Background(), in.Addr.XDS, node, creds)
	if err != nil {
		t.Fatal(err)
	}
	defer ads.Close()
	waitXDS(t, ads, "the 8080 listener", hasListener(8080))
}
