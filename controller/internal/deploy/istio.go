package deploy

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/xds/sds"
)

// Defaults of the Istio integration (facts.md "Istio sidecar integration
// for an ingress proxy"; the seed's Helm values).
const (
	DefaultIstioDiscoveryAddress = "istiod.istio-system.svc:15012"
	DefaultIstioClusterID        = "Kubernetes"
	DefaultIstioMeshID           = "cluster.local"
	DefaultIstioProxyImage       = "docker.io/istio/proxyv2:1.27.3"
	// DefaultWaspImage runs `wasp sds`; the controller passes its own image.
	DefaultWaspImage = "ghcr.io/wasp-dev/wasp:dev"

	istioCertsVolume  = "istio-certs"
	istioTokenVolume  = "istio-token"
	istioRootCAVolume = "istio-ca-root-cert"
	istioTokenDir     = "/var/run/secrets/tokens"
	istioRootCADir    = "/var/run/secrets/istio"
	// istioTokenTTL is the projected token's lifetime; the kubelet renews it.
	istioTokenTTL = int64(43200)
)

// istioEnabled says whether ingress proxies of these parameters run the
// Istio sidecar (agent only) and `wasp sds`.
func istioEnabled(params *v1alpha1.GatewayParametersSpec) bool {
	return params != nil && params.Istio != nil && params.Istio.Enabled
}

// sdsBootstrapCluster is the static cluster Envoy reaches `wasp sds`
// through; the xDS translator's mTLS clusters name it.
func sdsBootstrapCluster() (map[string]any, error) {
	c, err := sds.BootstrapCluster(sds.DefaultAddress)
	if err != nil {
		return nil, err
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// istioContainers are istio-proxy in agent-only mode (it writes the
// workload certificate files) and `wasp sds` (it serves them to Envoy).
func istioContainers(i *v1alpha1.IstioIntegration, waspImage string) []corev1.Container {
	or := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	disc := or(i.IstioDiscoveryAddress, DefaultIstioDiscoveryAddress)
	field := func(name, path string) corev1.EnvVar {
		return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: path}}}
	}
	certs := corev1.VolumeMount{Name: istioCertsVolume, MountPath: sds.DefaultCertDir}
	return []corev1.Container{
		{
			Name:  "istio-proxy",
			Image: or(i.IstioProxyImage, DefaultIstioProxyImage),
			Args:  []string{"proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local"},
			Env: []corev1.EnvVar{
				{Name: "DISABLE_ENVOY", Value: "true"},
				{Name: "OUTPUT_CERTS", Value: sds.DefaultCertDir},
				{Name: "CA_ADDR", Value: disc},
				{Name: "PILOT_CERT_PROVIDER", Value: "istiod"},
				{Name: "JWT_POLICY", Value: "third-party-jwt"},
				{Name: "PROXY_CONFIG", Value: fmt.Sprintf(`{"discoveryAddress":%q}`, disc)},
				{Name: "ISTIO_META_CLUSTER_ID", Value: or(i.IstioMetaClusterId, DefaultIstioClusterID)},
				{Name: "ISTIO_META_MESH_ID", Value: or(i.IstioMetaMeshId, DefaultIstioMeshID)},
				field("POD_NAME", "metadata.name"),
				field("POD_NAMESPACE", "metadata.namespace"),
				field("INSTANCE_IP", "status.podIP"),
				field("SERVICE_ACCOUNT", "spec.serviceAccountName"),
			},
			VolumeMounts: []corev1.VolumeMount{
				certs,
				{Name: istioTokenVolume, MountPath: istioTokenDir, ReadOnly: true},
				{Name: istioRootCAVolume, MountPath: istioRootCADir, ReadOnly: true},
			},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false),
				RunAsUser:                ptr(int64(1337)), // istio-proxy's user
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		},
		{
			Name:         "sds",
			Image:        waspImage,
			Args:         []string{"sds", "--address", sds.DefaultAddress, "--cert-dir", sds.DefaultCertDir},
			VolumeMounts: []corev1.VolumeMount{{Name: istioCertsVolume, MountPath: sds.DefaultCertDir, ReadOnly: true}},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: ptr(false),
				ReadOnlyRootFilesystem:   ptr(true),
				Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			},
		},
	}
}

// istioVolumes are the shared certificate directory, the projected token
// istiod's CA accepts (audience istio-ca) and the mesh root certificate.
func istioVolumes() []corev1.Volume {
	return []corev1.Volume{
		{Name: istioCertsVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory}}},
		{Name: istioTokenVolume, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{
				Audience: "istio-ca", ExpirationSeconds: ptr(istioTokenTTL), Path: "istio-token",
			}}},
		}}},
		{Name: istioRootCAVolume, VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "istio-ca-root-cert"},
		}}},
	}
}
