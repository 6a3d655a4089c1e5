package v1alpha1

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// crdFile is this package's committed CRD.
const crdFile = "../../../config/crd/bases/wasp.dev_wasmfilters.yaml"

// TestCRDUpToDate regenerates the CRD from these types with the pinned
// controller-gen and compares it with the committed file: a changed marker
// without `make generate` fails here, not in a cluster.
func TestCRDUpToDate(t *testing.T) {
	out := t.TempDir()
	cmd := exec.Command("go", "tool", "controller-gen", "crd:crdVersions=v1", "paths=./...", "output:crd:artifacts:config="+out)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("controller-gen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(crdFile)
	if err != nil {
		t.Fatalf("committed CRD: %v (run make generate)", err)
	}
	got, err := os.ReadFile(filepath.Join(out, filepath.Base(crdFile)))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is stale (run make generate): %v", crdFile, err)
	}
}
