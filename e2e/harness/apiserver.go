package harness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// startTimeout is generous: on CI's two shared cores kube-apiserver's first
// start (etcd bootstrap, RBAC bootstrap) takes well over envtest's 20s.
const startTimeout = 3 * time.Minute

// ServiceCIDR is the Service ClusterIP range the API server allocates from.
const ServiceCIDR = "10.96.0.0/12"

// APIServer is a running etcd + kube-apiserver.
type APIServer struct {
	env *envtest.Environment
	// Config is an administrator's (system:masters) client config.
	Config *rest.Config
}

// StartAPIServer starts etcd and kube-apiserver from the envtest assets
// directory (KUBEBUILDER_ASSETS), with RBAC and service-account tokens on.
func StartAPIServer(assets string) (*APIServer, error) {
	if assets == "" {
		return nil, fmt.Errorf("KUBEBUILDER_ASSETS is not set: run through make (make test-e2e / make demo), or export KUBEBUILDER_ASSETS=$(make -s print-kubebuilder-assets) after make envtest-assets")
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(assets, name)); err != nil {
			return nil, fmt.Errorf("%s is missing from %s (run make envtest-assets): %w", name, assets, err)
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		ControlPlaneStartTimeout: startTimeout,
		ControlPlaneStopTimeout:  time.Minute,
	}
	// kind's (and kubeadm's) Service range: the seeds pin ClusterIPs such as
	// 10.96.238.187, which envtest's default 10.0.0.0/24 would refuse.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", ServiceCIDR)
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver + etcd from %s: %w", assets, err)
	}
	return &APIServer{env: env, Config: cfg}, nil
}

// Stop stops kube-apiserver and etcd and removes their data.
func (a *APIServer) Stop() error { return a.env.Stop() }

// AdminKubeconfig returns a kubeconfig for a system:masters user.
func (a *APIServer) AdminKubeconfig() ([]byte, error) {
	u, err := a.env.AddUser(envtest.User{Name: "wasp-e2e-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	return u.KubeConfig()
}

// ServiceAccountKubeconfig returns a kubeconfig that authenticates as the
// ServiceAccount ns/name with a fresh token, so a process run with it has
// exactly the RBAC the chart grants that ServiceAccount.
func (a *APIServer) ServiceAccountKubeconfig(ctx context.Context, ns, name string, ttl time.Duration) ([]byte, error) {
	cs, err := kubernetes.NewForConfig(a.Config)
	if err != nil {
		return nil, err
	}
	secs := int64(ttl / time.Second)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &secs}}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for ServiceAccount %s/%s: %w", ns, name, err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: a.Config.Host, CertificateAuthorityData: a.Config.CAData}
	kc.AuthInfos["sa"] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["sa"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "sa", Namespace: ns}
	kc.CurrentContext = "sa"
	return clientcmd.Write(*kc)
}
