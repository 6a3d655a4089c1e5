package deploy

import (
	"encoding/json"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/anypb"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// How a proxy proves which Gateway it serves (docs/security.md): the
// controller writes the Secret ProxyTLSSecretName(gateway) holding the
// proxy's client certificate (SAN spiffe://wasp.dev/ns/<ns>/gateway/<name>),
// its key and wasp's CA; the pod mounts it at ProxyTLSDir. Envoy reads the
// files through file-based SDS (two small SDS files in the bootstrap
// ConfigMap naming them) with watched_directory on the mount: the kubelet
// swaps the Secret's files atomically (a ..data symlink moved into the
// directory), Envoy sees the move and reloads them, so the controller
// rotates certificates without restarting any proxy.
const (
	// ProxyTLSDir is where the proxy's certificate Secret is mounted.
	ProxyTLSDir = "/etc/wasp/xds-tls"
	// Keys of the Secret (the kubernetes.io/tls layout plus the CA).
	ProxyTLSCertKey = corev1.TLSCertKey
	ProxyTLSKeyKey  = corev1.TLSPrivateKeyKey
	ProxyTLSCAKey   = "ca.crt"

	// SDS secret names and the bootstrap ConfigMap keys holding them.
	clientSecretName = "wasp_proxy_certificate"
	caSecretName     = "wasp_ca"
	clientSDSKey     = "sds-proxy-certificate.yaml"
	caSDSKey         = "sds-ca.yaml"
	proxyTLSVolume   = "xds-tls"
	tlsSocketName    = "envoy.transport_sockets.tls"
)

// ProxyTLSSecretName is the Secret holding gateway's proxy certificate.
// The suffix keeps it apart from a user's Secret named after the Gateway.
func ProxyTLSSecretName(gateway string) string { return gateway + "-wasp-proxy-tls" }

// ControllerTLS is the TLS context a proxy dials the controller with:
// its certificate, wasp's CA as the only root, and serverName as SNI and
// as the DNS SAN the controller's certificate must carry. The translator
// uses it (Options.CodeServerTLS) for the .wasm server's cluster too.
func ControllerTLS(serverName string) *tlsv3.UpstreamTlsContext {
	sds := func(name, key string) *tlsv3.SdsSecretConfig {
		return &tlsv3.SdsSecretConfig{Name: name, SdsConfig: &corev3.ConfigSource{
			ResourceApiVersion: corev3.ApiVersion_V3,
			ConfigSourceSpecifier: &corev3.ConfigSource_PathConfigSource{PathConfigSource: &corev3.PathConfigSource{
				Path: bootstrapDir + "/" + key,
			}},
		}}
	}
	return &tlsv3.UpstreamTlsContext{
		Sni: serverName,
		CommonTlsContext: &tlsv3.CommonTlsContext{
			TlsCertificateSdsSecretConfigs: []*tlsv3.SdsSecretConfig{sds(clientSecretName, clientSDSKey)},
			ValidationContextType: &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
				DefaultValidationContext: &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: []*tlsv3.SubjectAltNameMatcher{{
					SanType: tlsv3.SubjectAltNameMatcher_DNS,
					Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: serverName}},
				}}},
				ValidationContextSdsSecretConfig: sds(caSecretName, caSDSKey),
			}},
		},
	}
}

// sdsFiles are the SDS files (DiscoveryResponse YAML) naming the mounted
// certificate files, keyed as in the bootstrap ConfigMap.
func sdsFiles() (map[string]string, error) {
	watched := &corev3.WatchedDirectory{Path: ProxyTLSDir}
	file := func(name string) *corev3.DataSource {
		return &corev3.DataSource{Specifier: &corev3.DataSource_Filename{Filename: ProxyTLSDir + "/" + name}}
	}
	secrets := map[string]*tlsv3.Secret{
		clientSDSKey: {Name: clientSecretName, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: file(ProxyTLSCertKey), PrivateKey: file(ProxyTLSKeyKey), WatchedDirectory: watched,
		}}},
		caSDSKey: {Name: caSecretName, Type: &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{
			TrustedCa: file(ProxyTLSCAKey), WatchedDirectory: watched,
		}}},
	}
	out := map[string]string{}
	for key, s := range secrets {
		a, err := anypb.New(s)
		if err != nil {
			return nil, err
		}
		m, err := protoMap(a)
		if err != nil {
			return nil, err
		}
		y, err := yaml.Marshal(map[string]any{"resources": []any{m}})
		if err != nil {
			return nil, err
		}
		out[key] = string(y)
	}
	return out, nil
}

// tlsTransportSocket is ControllerTLS as a bootstrap transport_socket.
func tlsTransportSocket(serverName string) (map[string]any, error) {
	a, err := anypb.New(ControllerTLS(serverName))
	if err != nil {
		return nil, err
	}
	m, err := protoMap(a)
	if err != nil {
		return nil, err
	}
	return map[string]any{"name": tlsSocketName, "typed_config": m}, nil
}

// protoMap is m as the generic map the bootstrap YAML is built from.
func protoMap(m *anypb.Any) (map[string]any, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// proxyTLSVolume mounts the proxy's certificate Secret.
func proxyTLSVolumes(gateway string) (corev1.Volume, corev1.VolumeMount) {
	return corev1.Volume{Name: proxyTLSVolume, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: ProxyTLSSecretName(gateway),
		}}},
		corev1.VolumeMount{Name: proxyTLSVolume, MountPath: ProxyTLSDir, ReadOnly: true}
}
