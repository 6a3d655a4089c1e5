package deploy

import (
	"path"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	discoveryv3 "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

// TestProxyDialsWithItsCertificate: the bootstrap's xDS cluster speaks TLS
// with the certificate files the pod mounts from the proxy's Secret,
// through SDS files that exist in the mounted ConfigMap and watch the
// Secret's directory (rotation without restart).
func TestProxyDialsWithItsCertificate(t *testing.T) {
	gw := gateway(gwv1.Listener{Name: "proxy", Port: 15088, Protocol: "istio.io/PROXY"})
	o, err := Build(gw, ir.KindWaypoint, nil, Config{XDSHost: "wasp-controller.wasp-system.svc", XDSPort: 18000})
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	unmarshalYAML(t, o.ConfigMap.Data[bootstrapKey], &b)
	var up tlsv3.UpstreamTlsContext
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.Name == XDSClusterName {
			if err := c.GetTransportSocket().GetTypedConfig().UnmarshalTo(&up); err != nil {
				t.Fatalf("xDS cluster transport socket: %v", err)
			}
		}
	}
	if err := up.ValidateAll(); err != nil || up.Sni != "wasp-controller.wasp-system.svc" {
		t.Fatalf("xDS TLS %v: %v", &up, err)
	}
	cv := up.GetCommonTlsContext().GetCombinedValidationContext()
	if san := cv.GetDefaultValidationContext().GetMatchTypedSubjectAltNames(); len(san) != 1 || san[0].GetMatcher().GetExact() != "wasp-controller.wasp-system.svc" {
		t.Errorf("the controller's certificate is not checked for its name: %v", san)
	}
	pod := o.Deployment.Spec.Template.Spec
	mounted := map[string]string{} // mount path -> volume
	for _, m := range pod.Containers[0].VolumeMounts {
		mounted[m.MountPath] = m.Name
	}
	var secretVol string
	for _, v := range pod.Volumes {
		if v.Secret != nil && v.Secret.SecretName == ProxyTLSSecretName(gw.Name) {
			secretVol = v.Name
		}
	}
	if secretVol == "" || mounted[ProxyTLSDir] != secretVol {
		t.Fatalf("the proxy Secret %s is not mounted at %s: %v", ProxyTLSSecretName(gw.Name), ProxyTLSDir, pod.Volumes)
	}
	for _, sds := range []*tlsv3.SdsSecretConfig{up.GetCommonTlsContext().GetTlsCertificateSdsSecretConfigs()[0], cv.GetValidationContextSdsSecretConfig()} {
		p := sds.GetSdsConfig().GetPathConfigSource().GetPath()
		if path.Dir(p) != bootstrapDir || o.ConfigMap.Data[path.Base(p)] == "" {
			t.Fatalf("SDS file %s is not in the bootstrap ConfigMap", p)
		}
		var resp discoveryv3.DiscoveryResponse
		unmarshalYAML(t, o.ConfigMap.Data[path.Base(p)], &resp)
		var s tlsv3.Secret
		if len(resp.Resources) != 1 || resp.Resources[0].UnmarshalTo(&s) != nil || s.ValidateAll() != nil || s.Name != sds.Name {
			t.Fatalf("SDS file %s: %v", p, &resp)
		}
		files := []string{s.GetTlsCertificate().GetCertificateChain().GetFilename(), s.GetTlsCertificate().GetPrivateKey().GetFilename()}
		watched := s.GetTlsCertificate().GetWatchedDirectory().GetPath()
		if s.GetValidationContext() != nil {
			files = []string{s.GetValidationContext().GetTrustedCa().GetFilename()}
			watched = s.GetValidationContext().GetWatchedDirectory().GetPath()
		}
		for _, f := range files {
			if path.Dir(f) != ProxyTLSDir {
				t.Errorf("%s names %s outside the Secret mount", p, f)
			}
		}
		if watched != ProxyTLSDir {
			t.Errorf("%s watches %q, not the Secret mount (rotation needs a restart)", p, watched)
		}
	}

	insecure, err := Build(gw, ir.KindWaypoint, nil, Config{XDSHost: "x", XDSPort: 1, InsecureXDS: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(insecure.Deployment.Spec.Template.Spec.Volumes) != len(pod.Volumes)-1 {
		t.Error("--insecure-xds still mounts the proxy Secret")
	}
}

func unmarshalYAML(t *testing.T, y string, m proto.Message) {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if err := protojson.Unmarshal(j, m); err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
}
