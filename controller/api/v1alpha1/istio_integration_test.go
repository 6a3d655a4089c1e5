package v1alpha1

import (
	"os"
	"strings"
	"testing"
)

func TestIstioIntegrationProblem(t *testing.T) {
	for _, c := range []struct {
		name  string
		in    *IstioIntegration
		field string
	}{
		{"nil", nil, ""},
		{"disabled settings are not judged", &IstioIntegration{IstioDiscoveryAddress: "no port"}, ""},
		{"defaults", &IstioIntegration{Enabled: true}, ""},
		{"seed values", &IstioIntegration{Enabled: true, IstioDiscoveryAddress: "istiod-1-21.istio-system.svc:15012",
			IstioMetaClusterId: "mycluster", IstioMetaMeshId: "mycluster", IstioProxyImage: "docker.io/istio/proxyv2:1.22.0"}, ""},
		{"IPv4 address", &IstioIntegration{Enabled: true, IstioDiscoveryAddress: "10.0.0.10:15012"}, ""},
		{"registry with port and digest", &IstioIntegration{Enabled: true,
			IstioProxyImage: "localhost:5000/istio/proxyv2:1.22.0@sha256:" + strings.Repeat("ab", 32)}, ""},
		{"no port", &IstioIntegration{Enabled: true, IstioDiscoveryAddress: "istiod.istio-system.svc"}, "spec.istio.istioDiscoveryAddress"},
		{"port 0", &IstioIntegration{Enabled: true, IstioDiscoveryAddress: "istiod:0"}, "spec.istio.istioDiscoveryAddress"},
		{"port 65536", &IstioIntegration{Enabled: true, IstioDiscoveryAddress: "istiod:65536"}, "spec.istio.istioDiscoveryAddress"},
		{"scheme", &IstioIntegration{Enabled: true, IstioDiscoveryAddress: "https://istiod:15012"}, "spec.istio.istioDiscoveryAddress"},
		{"cluster ID with a space", &IstioIntegration{Enabled: true, IstioMetaClusterId: "my cluster"}, "spec.istio.istioMetaClusterId"},
		{"mesh ID with a tab", &IstioIntegration{Enabled: true, IstioMetaMeshId: "my\tmesh"}, "spec.istio.istioMetaMeshId"},
		{"image with upper case repository", &IstioIntegration{Enabled: true, IstioProxyImage: "Istio/proxyv2"}, "spec.istio.istioProxyImage"},
		{"image with empty tag", &IstioIntegration{Enabled: true, IstioProxyImage: "istio/proxyv2:"}, "spec.istio.istioProxyImage"},
	} {
		t.Run(c.name, func(t *testing.T) {
			field, problem := c.in.Problem()
			if field != c.field {
				t.Errorf("field %q (%s), want %q", field, problem, c.field)
			}
			if (field == "") != (problem == "") {
				t.Errorf("field %q with problem %q", field, problem)
			}
		})
	}
}

// TestIstioPatternsMatchCRD: the controller's checks and the CRD's CEL
// rules use the same regular expressions.
func TestIstioPatternsMatchCRD(t *testing.T) {
	crd, err := os.ReadFile("../../config/crd/bases/gateway.kgateway.dev_gatewayparameters.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{istioDiscoveryAddressPattern.String(), istioMetaIDPattern.String(), istioProxyImagePattern.String()} {
		if !strings.Contains(string(crd), "self.matches('"+re+"')") {
			t.Errorf("the CRD has no CEL rule self.matches('%s')", re)
		}
	}
}
