package v1alpha1

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCRDsUpToDate regenerates the CRD YAML from these types with the pinned
// controller-gen and compares it with config/crd/bases: a changed marker or
// field without `make generate` fails here, not in a cluster.
func TestCRDsUpToDate(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("go", "tool", "controller-gen", "crd:crdVersions=v1", "paths=./...", "output:crd:artifacts:config="+out)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, b)
	}
	// Only this package's group: other API packages (api/wasp) keep their
	// CRDs in the same directory and check them themselves.
	committed, err := filepath.Glob("../../config/crd/bases/" + GroupName + "_*.yaml")
	if err != nil || len(committed) == 0 {
		t.Fatalf("no committed CRDs: %v", err)
	}
	generated, _ := filepath.Glob(filepath.Join(out, "*.yaml"))
	if len(generated) != len(committed) {
		t.Fatalf("generated %d CRDs, committed %d: run make generate", len(generated), len(committed))
	}
	for _, c := range committed {
		want, _ := os.ReadFile(c)
		got, err := os.ReadFile(filepath.Join(out, filepath.Base(c)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (run make generate)", c)
		}
	}
}
