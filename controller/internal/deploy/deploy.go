// Package deploy builds the Kubernetes objects that run one Gateway's proxy:
// a ServiceAccount, a ConfigMap with Envoy's bootstrap, a Deployment running
// stock Envoy, and a Service. It is pure (objects in, objects out); the
// reconciler applies the result.
package deploy

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
)

// Labels and annotations on the proxy objects.
const (
	// LabelGatewayName is on every proxy pod: istiod sets up the PROXY
	// tunnel only for waypoint pods carrying it (facts.md).
	LabelGatewayName = "gateway.networking.k8s.io/gateway-name"
	// LabelManagedBy marks objects wasp created, for cleanup.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "wasp"
	// LabelSidecarInject keeps Istio from injecting a sidecar (label form,
	// read by Istio ≥ 1.x before the annotation).
	LabelSidecarInject = "sidecar.istio.io/inject"
	// AnnotationBootstrapHash rolls the pods when the bootstrap changes.
	AnnotationBootstrapHash = "wasp.dev/bootstrap-sha256"
)

// Defaults of the proxy Deployment.
const (
	// DefaultImage is stock Envoy; wasp needs ≥ 1.33 (Go-built Wasm).
	DefaultImage = "envoyproxy/envoy:v1.36.2"
	// DefaultLogLevel keeps Envoy quiet unless asked.
	DefaultLogLevel = "warning"
	// AdminPort is Envoy's admin interface, bound to localhost only.
	AdminPort = 19000
	// ReadyPort serves /ready from a static listener, for the kubelet.
	ReadyPort      = 19001
	bootstrapKey   = "envoy.yaml"
	bootstrapDir   = "/etc/envoy"
	proxyContainer = "envoy"
)

// Config says where proxies find the control plane.
type Config struct {
	// XDSHost and XDSPort are the controller's xDS (ADS) service.
	XDSHost string
	XDSPort int32
	// Image, when set, overrides DefaultImage (GatewayParameters wins).
	Image string
	// WaspImage runs `wasp sds` in ingress pods with the Istio
	// integration; default DefaultWaspImage.
	WaspImage string
	// InsecureXDS leaves out the proxy's certificate: plaintext xDS and
	// .wasm for `wasp controller --insecure-xds` (local development only).
	InsecureXDS bool
	// AccessLogDir is mounted writable (an emptyDir) in every proxy: the
	// only directory HTTPListenerPolicy access logs may write files in
	// (the root filesystem is read-only). Default /var/log/wasp.
	AccessLogDir string
}

// Objects are the proxy objects of one Gateway, all named after it.
type Objects struct {
	ServiceAccount *corev1.ServiceAccount
	ConfigMap      *corev1.ConfigMap
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
}

// Build returns the proxy objects of gw. kind is the proxy kind the
// translation chose; params may be nil.
func Build(gw *gwv1.Gateway, kind ir.ProxyKind, params *v1alpha1.GatewayParametersSpec, cfg Config) (*Objects, error) {
	node := gw.Namespace + "/" + gw.Name
	// The Istio integration is for ingress proxies only: a waypoint stays
	// in the ambient data plane (ztunnel carries its upstream traffic).
	istio := kind == ir.KindIngress && istioEnabled(params)
	boot, err := bootstrap(node, cfg, istio)
	if err != nil {
		return nil, err
	}
	labels := map[string]string{LabelGatewayName: gw.Name, LabelManagedBy: ManagedByValue}
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: gw.Name, Namespace: gw.Namespace, Labels: copyMap(labels)}
	}
	o := &Objects{
		ServiceAccount: &corev1.ServiceAccount{ObjectMeta: meta()},
		ConfigMap:      &corev1.ConfigMap{ObjectMeta: meta(), Data: map[string]string{bootstrapKey: boot}},
	}
	o.Deployment = deployment(gw, meta(), labels, params, cfg, boot)
	if !cfg.InsecureXDS {
		files, err := sdsFiles()
		if err != nil {
			return nil, err
		}
		for k, v := range files {
			o.ConfigMap.Data[k] = v
		}
		spec := &o.Deployment.Spec.Template.Spec
		vol, mount := proxyTLSVolumes(gw.Name)
		spec.Volumes = append(spec.Volumes, vol)
		spec.Containers[0].VolumeMounts = append(spec.Containers[0].VolumeMounts, mount)
	}
	if istio {
		spec := &o.Deployment.Spec.Template.Spec
		img := cfg.WaspImage
		if img == "" {
			img = DefaultWaspImage
		}
		spec.Containers = append(spec.Containers, istioContainers(params.Istio, img)...)
		spec.Volumes = append(spec.Volumes, istioVolumes()...)
	}
	o.Service = service(gw, kind, meta(), labels, params)
	return o, nil
}

func deployment(gw *gwv1.Gateway, meta metav1.ObjectMeta, selector map[string]string, params *v1alpha1.GatewayParametersSpec, cfg Config, boot string) *appsv1.Deployment {
	image, logLevel := DefaultImage, DefaultLogLevel
	if cfg.Image != "" {
		image = cfg.Image
	}
	replicas := int32(1)
	resources := corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
	}}
	if params != nil {
		if params.Image != "" {
			image = params.Image
		}
		if params.LogLevel != "" {
			logLevel = params.LogLevel
		}
		if params.Replicas != nil {
			replicas = *params.Replicas
		}
		if params.Resources != nil {
			resources = *params.Resources
		}
	}
	podLabels := copyMap(selector)
	podLabels[LabelSidecarInject] = "false"
	var ports []corev1.ContainerPort
	for _, p := range listenerPorts(gw) {
		ports = append(ports, corev1.ContainerPort{Name: p.name, ContainerPort: p.port, Protocol: corev1.ProtocolTCP})
	}
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: copyMap(selector)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels: podLabels,
					Annotations: map[string]string{
						AnnotationBootstrapHash: sha256Hex(boot),
						// Belt and braces with the label: never a sidecar.
						"sidecar.istio.io/inject": "false",
					},
				},
				Spec: corev1.PodSpec{
					ServiceAccountName: meta.Name,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot: ptr(true),
						RunAsUser:    ptr(int64(101)), // the envoy user of the official image
						// Listeners on ports below 1024 (80) without root or
						// capabilities; a namespaced, "safe" sysctl.
						Sysctls: []corev1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "0"}},
					},
					Containers: []corev1.Container{{
						Name:  proxyContainer,
						Image: image,
						Args: []string{
							"-c", bootstrapDir + "/" + bootstrapKey,
							"--log-level", logLevel,
							"--drain-time-s", "30",
						},
						Ports:     ports,
						Resources: resources,
						ReadinessProbe: &corev1.Probe{
							ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
								Path: "/ready", Port: intstr.FromInt32(ReadyPort),
							}},
							PeriodSeconds: 5,
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr(false),
							ReadOnlyRootFilesystem:   ptr(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "bootstrap", MountPath: bootstrapDir, ReadOnly: true},
							{Name: "tmp", MountPath: "/tmp"},
							{Name: "access-logs", MountPath: accessLogDir(cfg)},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "bootstrap", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: meta.Name},
						}}},
						{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "access-logs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
					},
				},
			},
		},
	}
}

func service(gw *gwv1.Gateway, kind ir.ProxyKind, meta metav1.ObjectMeta, selector map[string]string, params *v1alpha1.GatewayParametersSpec) *corev1.Service {
	svc := &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Selector: copyMap(selector)}}
	if kind == ir.KindWaypoint {
		// Istio reaches waypoints by this Service's hostname (Gateway
		// status.addresses); ztunnel dials the pods on 15088 itself.
		svc.Spec.Type = corev1.ServiceTypeClusterIP
	} else {
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
		if params != nil && params.ServiceType != nil {
			svc.Spec.Type = *params.ServiceType
		}
	}
	for _, p := range listenerPorts(gw) {
		svc.Spec.Ports = append(svc.Spec.Ports, corev1.ServicePort{
			Name: p.name, Port: p.port, TargetPort: intstr.FromInt32(p.port), Protocol: corev1.ProtocolTCP,
		})
	}
	return svc
}

type namedPort struct {
	name string
	port int32
}

// listenerPorts are the Gateway's distinct listener ports, each named after
// its first listener (port names must be unique DNS labels).
func listenerPorts(gw *gwv1.Gateway) []namedPort {
	seen := map[int32]bool{}
	var out []namedPort
	for _, l := range gw.Spec.Listeners {
		p := int32(l.Port)
		if seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, namedPort{name: portName(string(l.Name), p), port: p})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].port < out[j].port })
	return out
}

// portName returns a valid port name (≤ 15 chars, DNS label).
func portName(listener string, port int32) string {
	if len(listener) <= 15 && isDNSLabel(listener) {
		return listener
	}
	return fmt.Sprintf("port-%d", port)
}

func isDNSLabel(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	letter := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z':
			letter = true
		case c >= '0' && c <= '9', c == '-':
		default:
			return false
		}
	}
	return letter
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func accessLogDir(cfg Config) string {
	if cfg.AccessLogDir == "" {
		return translate.DefaultAccessLogDir
	}
	return cfg.AccessLogDir
}
