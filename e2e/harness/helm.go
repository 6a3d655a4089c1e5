package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// HelmPath returns the helm binary: $HELM (set by make), else the cached
// build of `make helm`.
func HelmPath() (string, error) {
	if h := os.Getenv("HELM"); h != "" {
		return h, nil
	}
	cache := os.Getenv("WASP_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		cache = filepath.Join(home, ".cache", "wasp")
	}
	matches, _ := filepath.Glob(filepath.Join(cache, "bin", "helm-v3*"))
	if len(matches) == 0 {
		return "", fmt.Errorf("no helm: set HELM or run make helm")
	}
	return matches[len(matches)-1], nil
}

// Helm runs one helm command and returns its standard output. Helm's
// cache, config and data go to dir (a temp dir), never to $HOME.
func Helm(ctx context.Context, helm, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, helm, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(dir, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(dir, "config"),
		"HELM_DATA_HOME="+filepath.Join(dir, "data"),
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("helm %v: %w\n%s%s", args, err, stderr.String(), stdout.String())
	}
	return stdout.Bytes(), nil
}

// HelmTemplate renders the chart as `helm template <release> <chart>
// --namespace <ns> --set ...` would.
func HelmTemplate(ctx context.Context, helm, dir, chart, release, ns string, sets ...string) ([]byte, error) {
	args := []string{"template", release, chart, "--namespace", ns}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return Helm(ctx, helm, dir, args...)
}
