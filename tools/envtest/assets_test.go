package envtest_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startTimeout is generous because the CI machine's two cores are shared:
// kube-apiserver's first start (etcd bootstrap, storage, RBAC bootstrap) can
// take well over envtest's 20 s default there.
const startTimeout = 2 * time.Minute

// pollInterval paces the wait for the API server's bootstrap namespaces.
const pollInterval = 200 * time.Millisecond

// releaseVersion matches a Kubernetes release stamp such as v1.37.0. An
// unstamped build reports v0.0.0-master+$Format:%H$ instead.
var releaseVersion = regexp.MustCompile(`^v1\.[0-9]+\.[0-9]+$`)

// TestAssetsStartEnvtest starts etcd + kube-apiserver from KUBEBUILDER_ASSETS
// with envtest's own flags, then reads and writes through the API server.
func TestAssetsStartEnvtest(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `make test-envtest-assets`, or export KUBEBUILDER_ASSETS=$(make -s print-kubebuilder-assets)")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, name)); err != nil {
			t.Fatalf("%s missing from %s (run `make envtest-assets`): %v", name, assets, err)
		}
	}

	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  startTimeout,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("envtest did not start with the assets in %s: %v", assets, err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping envtest: %v", err)
		}
	})

	clients, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()

	info, err := clients.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("GET /version: %v", err)
	}
	if !releaseVersion.MatchString(info.GitVersion) {
		t.Errorf("kube-apiserver reports version %q; want a release stamp like v1.37.0 (ldflags not applied?)", info.GitVersion)
	}

	created, err := clients.CoreV1().Namespaces().Create(ctx,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "wasp-envtest-probe"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating a namespace (a write through etcd): %v", err)
	}

	// The API server creates default and kube-system in the background after
	// it reports ready, so poll until they show up (or ctx expires).
	want := []string{"default", "kube-system", created.Name}
	var names []string
	for {
		names, err = namespaceNames(ctx, clients)
		if err == nil && containsAll(names, want) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespaces %v never all listed; last list %v, error %v", want, names, err)
		case <-time.After(pollInterval):
		}
	}
	t.Logf("kube-apiserver %s, namespaces %v", info.GitVersion, names)
}

func namespaceNames(ctx context.Context, clients kubernetes.Interface) ([]string, error) {
	list, err := clients.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(list.Items))
	for _, ns := range list.Items {
		names = append(names, ns.Name)
	}
	return names, nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
