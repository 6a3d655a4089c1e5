// Package e2e is wasp's end-to-end suite: the seeds (the user's acceptance
// scenarios, examples/seeds/) through a real kube-apiserver + etcd, the
// Helm chart, the real controller process, a real ADS client, and the
// filters the controller serves, run in wazero as the xDS configures them.
// Run it with `make test-e2e` (it needs the envtest assets and helm).
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"wasp.dev/e2e/harness"
)

// installTimeout bounds the shared installation (API server start, CRDs,
// chart, controller start) on CI's two shared cores.
const installTimeout = 6 * time.Minute

var (
	installOnce sync.Once
	install     *harness.Installation
	installErr  error
	workDir     string
	repoRoot    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if install != nil {
		if err := install.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "teardown:", err)
			code = 1
		}
	}
	if workDir != "" {
		os.RemoveAll(workDir)
	}
	os.Exit(code)
}

// installed returns the shared installation, installing it on first use.
func installed(t testing.TB) *harness.Installation {
	t.Helper()
	installOnce.Do(func() {
		repoRoot, installErr = harness.RepoRoot()
		if installErr != nil {
			return
		}
		workDir, installErr = os.MkdirTemp("", "wasp-e2e-")
		if installErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
		defer cancel()
		install, installErr = harness.Install(ctx, harness.InstallOptions{
			Root: repoRoot, Dir: workDir, Assets: os.Getenv("KUBEBUILDER_ASSETS"), WaspBin: os.Getenv("WASP_BIN"),
			Logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, "e2e: "+f+"\n", a...) },
		})
		if install != nil {
			for _, n := range install.Notes {
				fmt.Fprintln(os.Stderr, "e2e note:", n)
			}
		}
	})
	if installErr != nil {
		t.Fatalf("installing wasp: %v", installErr)
	}
	return install
}

// seedDir is a seed scenario's manifest directory.
func seedDir(name string) string { return filepath.Join(repoRoot, "examples", "seeds", name) }

// applySeed applies a scenario's manifests verbatim, file by file in name
// order (00-cluster.yaml, 10-…), into the default namespace when a
// manifest names none, as kubectl apply -f <dir> would.
func applySeed(t *testing.T, in *harness.Installation, name string) { applySeedB(t, in, name) }

func applySeedB(t testing.TB, in *harness.Installation, name string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(seedDir(name), "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("seed %s: no manifests (%v)", name, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := in.Applier.Apply(t.Context(), b, "default", false); err != nil {
			t.Fatalf("seed %s, %s: %v\ncontroller log tail:\n%s", name, filepath.Base(f), err, tail(in.Controller.Output(), 40))
		}
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}
