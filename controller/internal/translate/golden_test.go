package translate_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/translator"
)

var update = flag.Bool("update", false, "rewrite testdata/*.out.yaml from the current output")

// goldenOptions map kgateway's waypoint class onto wasp, as a cluster
// migrating kgateway manifests would configure it.
func goldenOptions() translate.Options {
	o := translate.DefaultOptions()
	o.WaypointClasses = append(o.WaypointClasses, "kgateway-waypoint")
	return o
}

// TestGolden translates every testdata/<case>.in.yaml and compares the IR
// and statuses with <case>.out.yaml. Run with -update to accept changes.
func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			res, err := manifest.LoadPaths(c.in)
			if err != nil {
				t.Fatal(err)
			}
			out := translate.Translate(&res.Input, goldenOptions())
			for _, p := range out.IR.Proxies {
				// The xDS translator validates the IR and every Envoy
				// resource it makes from it (ValidateAll).
				if _, err := translator.Translate(p, translator.Options{}); err != nil {
					t.Errorf("proxy %s does not translate to valid Envoy config: %v", p.Name, err)
				}
			}
			got, err := yaml.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", c.name+".out.yaml")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// seedsDir holds one manifest set per seed scenario; its golden is
// testdata/seeds.out.yaml.
const seedsDir = "../../../examples/seeds"

type goldenCase struct{ name, in string }

func goldenCases(t *testing.T) []goldenCase {
	ins, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []goldenCase{{"seeds", seedsDir}}
	for _, in := range ins {
		cases = append(cases, goldenCase{strings.TrimSuffix(filepath.Base(in), ".in.yaml"), in})
	}
	return cases
}

// TestDeterministic translates the same input twice with its object order
// reversed and expects byte-identical output.
func TestDeterministic(t *testing.T) {
	for _, c := range goldenCases(t) {
		in := c.in
		res, err := manifest.LoadPaths(in)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := yaml.Marshal(translate.Translate(&res.Input, goldenOptions()))
		rev := res.Input
		reverse(rev.Gateways)
		reverse(rev.HTTPRoutes)
		reverse(rev.Services)
		reverse(rev.EndpointSlices)
		reverse(rev.TrafficPolicies)
		reverse(rev.HTTPListenerPolicies)
		reverse(rev.GatewayClasses)
		reverse(rev.AuthorizationPolicies)
		reverse(rev.ServiceEntries)
		b, _ := yaml.Marshal(translate.Translate(&rev, goldenOptions()))
		if !bytes.Equal(a, b) {
			t.Errorf("%s: output depends on input order:\n%s", in, lineDiff(string(a), string(b)))
		}
	}
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// lineDiff shows the first differing lines with a little context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			var b strings.Builder
			for j := max(0, i-3); j < i; j++ {
				b.WriteString("  " + w[j] + "\n")
			}
			b.WriteString("- " + wl + "\n+ " + gl + "\n")
			return b.String()
		}
	}
	return "(no line differs)"
}

// TestAddressWaitsForProxyService: with RequireProxyService, a Gateway is
// Programmed with an address only once its proxy Service exists.
func TestAddressWaitsForProxyService(t *testing.T) {
	res, err := manifest.LoadPaths(seedsDir)
	if err != nil {
		t.Fatal(err)
	}
	o := goldenOptions()
	o.RequireProxyService = true
	find := func(out *translate.Output) *translate.GatewayStatus {
		for i, g := range out.Status.Gateways {
			if g.Namespace == "default" && g.Name == "kgateway-waypoint" {
				return &out.Status.Gateways[i]
			}
		}
		t.Fatal("no status for default/kgateway-waypoint")
		return nil
	}
	g := find(translate.Translate(&res.Input, o))
	if len(g.Status.Addresses) != 0 || g.Status.Conditions[1].Reason != "AddressNotAssigned" {
		t.Fatalf("before the Service: %+v", g.Status)
	}
	in := res.Input
	in.Services = append(in.Services, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "kgateway-waypoint", Namespace: "default"}})
	g = find(translate.Translate(&in, o))
	if len(g.Status.Addresses) != 1 || g.Status.Conditions[1].Reason != "Programmed" {
		t.Fatalf("after the Service: %+v", g.Status)
	}
}
