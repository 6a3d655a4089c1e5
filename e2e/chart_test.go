package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"wasp.dev/e2e/harness"
)

// TestHelmLint: `helm lint --strict charts/wasp` is clean.
func TestHelmLint(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	helm, err := harness.HelmPath()
	if err != nil {
		t.Fatal(err)
	}
	for _, sets := range [][]string{nil, harness.SeedValues} {
		args := []string{"lint", "--strict", filepath.Join(root, "charts", "wasp")}
		for _, s := range sets {
			args = append(args, "--set", s)
		}
		out, err := harness.Helm(t.Context(), helm, t.TempDir(), args...)
		if err != nil {
			t.Errorf("helm %s: %v", strings.Join(args, " "), err)
		}
		if !strings.Contains(string(out), "0 chart(s) failed") {
			t.Errorf("helm lint output:\n%s", out)
		}
	}
}

// TestChartApplied: both renders went through server-side dry-run and a
// real apply (in the shared installation); the objects are there with the
// values' class names.
func TestChartApplied(t *testing.T) {
	in := installed(t)
	for _, render := range []string{"defaults", "seeds"} {
		objs, err := harness.Decode(in.Rendered[render])
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) < 8 {
			t.Errorf("%s render has only %d objects", render, len(objs))
		}
	}
	for _, class := range []string{"wasp-waypoint", harness.SeedWaypointClass, "wasp"} {
		gc, err := in.Applier.Get(t.Context(), "gateway.networking.k8s.io/v1", "GatewayClass", "", class)
		if err != nil {
			t.Errorf("GatewayClass %s: %v", class, err)
			continue
		}
		want := ""
		if class != "wasp" {
			want = "PROXY/15088"
		}
		if got := gc.GetAnnotations()["ambient.istio.io/waypoint-inbound-binding"]; got != want {
			t.Errorf("GatewayClass %s inbound binding %q, want %q", class, got, want)
		}
	}
}

// TestChartFlagsMatchController: every flag the chart passes to the
// controller is one the wasp binary defines. (The rest of the suite runs
// the controller with harness.Reconcile's renames so that a mismatch here
// does not hide everything else; this test is where it shows.)
func TestChartFlagsMatchController(t *testing.T) {
	in := installed(t)
	known, err := harness.ControllerFlags(t.Context(), in.Bin)
	if err != nil {
		t.Fatal(err)
	}
	if len(known) == 0 {
		t.Fatalf("wasp controller -h listed no flags")
	}
	if unknown := harness.UnknownFlags(in.ChartArgs, known); len(unknown) > 0 {
		t.Errorf("charts/wasp/templates/deployment.yaml passes flags wasp controller does not define: %v\n(the suite ran without them: %v)", unknown, in.FlagsDropped)
	}
}

// TestChartRBACCoversController: the chart's ServiceAccount may do every
// verb the controller declares in its kubebuilder RBAC markers
// (controller/config/rbac/role.yaml), as SubjectAccessReviews against the
// real API server answer. (The suite grants what is missing so the rest
// runs; this test is where a gap shows.)
func TestChartRBACCoversController(t *testing.T) {
	in := installed(t)
	if len(in.MissingRBAC) > 0 {
		t.Errorf("charts/wasp/templates/rbac.yaml does not grant the controller's ServiceAccount: %v", in.MissingRBAC)
	}
}
