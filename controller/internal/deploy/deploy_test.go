package deploy

import (
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	// Register the typed configs the bootstrap names, for protojson.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/xds/ir"
)

func gateway(listeners ...gwv1.Listener) *gwv1.Gateway {
	return &gwv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "kgateway-waypoint", Namespace: "default"},
		Spec:       gwv1.GatewaySpec{GatewayClassName: "kgateway-waypoint", Listeners: listeners},
	}
}

// TestBootstrapIsValidEnvoyConfig parses the bootstrap as Envoy's Bootstrap
// message and runs its ValidateAll (Envoy's ingestion rules).
func TestBootstrapIsValidEnvoyConfig(t *testing.T) {
	y, err := Bootstrap("default/kgateway-waypoint", Config{XDSHost: "wasp-controller.wasp-system.svc", XDSPort: 18000})
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(j, &b); err != nil {
		t.Fatalf("not an Envoy bootstrap: %v\n%s", err, y)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("invalid bootstrap: %v", err)
	}
	if b.Node.Id != "default/kgateway-waypoint" {
		t.Errorf("node id %q", b.Node.Id)
	}
	if _, err := Bootstrap("x/y", Config{}); err == nil {
		t.Error("bootstrap without an xDS address accepted")
	}
}

func TestWaypointObjects(t *testing.T) {
	gw := gateway(gwv1.Listener{Name: "proxy", Port: 15088, Protocol: "istio.io/PROXY"})
	o, err := Build(gw, ir.KindWaypoint, nil, Config{XDSHost: "xds", XDSPort: 18000})
	if err != nil {
		t.Fatal(err)
	}
	pod := o.Deployment.Spec.Template
	if pod.Labels[LabelGatewayName] != "kgateway-waypoint" {
		t.Errorf("pod lacks %s (istiod sets up the PROXY tunnel only with it): %v", LabelGatewayName, pod.Labels)
	}
	if pod.Labels[LabelSidecarInject] != "false" {
		t.Errorf("pod may get a sidecar: %v", pod.Labels)
	}
	for k, v := range pod.Labels {
		if k == "istio.io/dataplane-mode" && v == "none" {
			t.Error("waypoint pod is labelled out of the ambient mesh")
		}
	}
	if o.Service.Spec.Type != corev1.ServiceTypeClusterIP || len(o.Service.Spec.Ports) != 1 || o.Service.Spec.Ports[0].Port != 15088 {
		t.Errorf("waypoint service: %+v", o.Service.Spec)
	}
	if !strings.Contains(o.ConfigMap.Data["envoy.yaml"], "id: default/kgateway-waypoint") {
		t.Errorf("bootstrap lacks the node id:\n%s", o.ConfigMap.Data["envoy.yaml"])
	}
	if pod.Spec.ServiceAccountName != "kgateway-waypoint" || o.ServiceAccount.Name != "kgateway-waypoint" {
		t.Error("service account not wired")
	}
	if pod.Annotations[AnnotationBootstrapHash] == "" {
		t.Error("no bootstrap hash: pods would not roll on bootstrap changes")
	}
}

func TestIngressObjectsAndParameters(t *testing.T) {
	gw := gateway(
		gwv1.Listener{Name: "http", Port: 80, Protocol: "HTTP"},
		gwv1.Listener{Name: "http-other-host", Port: 80, Protocol: "HTTP"},
		gwv1.Listener{Name: "a-very-long-listener-name", Port: 8080, Protocol: "HTTP"},
	)
	np := corev1.ServiceTypeNodePort
	params := &v1alpha1.GatewayParametersSpec{Image: "envoy:custom", Replicas: ptr(int32(3)), ServiceType: &np, LogLevel: "debug"}
	o, err := Build(gw, ir.KindIngress, params, Config{XDSHost: "xds", XDSPort: 18000, Image: "ignored"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Service.Spec.Type != corev1.ServiceTypeNodePort {
		t.Errorf("service type %s", o.Service.Spec.Type)
	}
	var names []string
	for _, p := range o.Service.Spec.Ports {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "http,port-8080" {
		t.Errorf("ports %v", names)
	}
	c := o.Deployment.Spec.Template.Spec.Containers[0]
	if c.Image != "envoy:custom" || *o.Deployment.Spec.Replicas != 3 || !strings.Contains(strings.Join(c.Args, " "), "--log-level debug") {
		t.Errorf("parameters not applied: image %s replicas %d args %v", c.Image, *o.Deployment.Spec.Replicas, c.Args)
	}
}

// TestIstioIntegration: ingress pods get istio-proxy (agent only) and
// `wasp sds`, and the bootstrap gets the SDS cluster the mTLS clusters
// name; waypoints never do.
func TestIstioIntegration(t *testing.T) {
	params := &v1alpha1.GatewayParametersSpec{Istio: &v1alpha1.IstioIntegration{Enabled: true, IstioDiscoveryAddress: "istiod-1-21.istio-system.svc:15012"}}
	gw := gateway(gwv1.Listener{Name: "http", Port: 8080, Protocol: "HTTP"})
	o, err := Build(gw, ir.KindIngress, params, Config{XDSHost: "xds", XDSPort: 18000, WaspImage: "wasp:test"})
	if err != nil {
		t.Fatal(err)
	}
	spec := o.Deployment.Spec.Template.Spec
	if len(spec.Containers) != 3 || spec.Containers[1].Name != "istio-proxy" || spec.Containers[2].Name != "sds" {
		t.Fatalf("containers: %+v", spec.Containers)
	}
	env := map[string]string{}
	for _, e := range spec.Containers[1].Env {
		env[e.Name] = e.Value
	}
	if env["DISABLE_ENVOY"] != "true" || env["OUTPUT_CERTS"] != "/etc/istio-certs" || env["CA_ADDR"] != "istiod-1-21.istio-system.svc:15012" ||
		env["PILOT_CERT_PROVIDER"] != "istiod" || env["JWT_POLICY"] != "third-party-jwt" {
		t.Errorf("istio-proxy env: %v", env)
	}
	if spec.Containers[2].Image != "wasp:test" || spec.Containers[2].Args[0] != "sds" {
		t.Errorf("sds container: %+v", spec.Containers[2])
	}
	var audience string
	for _, v := range spec.Volumes {
		if v.Projected != nil {
			audience = v.Projected.Sources[0].ServiceAccountToken.Audience
		}
	}
	if audience != "istio-ca" {
		t.Errorf("no projected token with audience istio-ca: %+v", spec.Volumes)
	}
	boot := o.ConfigMap.Data["envoy.yaml"]
	if !strings.Contains(boot, "gateway_proxy_sds") {
		t.Fatalf("bootstrap lacks the SDS cluster:\n%s", boot)
	}
	j, _ := yaml.YAMLToJSON([]byte(boot))
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(j, &b); err != nil {
		t.Fatal(err)
	}
	if err := b.ValidateAll(); err != nil {
		t.Fatalf("invalid bootstrap with SDS: %v", err)
	}

	w, err := Build(gateway(gwv1.Listener{Name: "proxy", Port: 15088, Protocol: "istio.io/PROXY"}), ir.KindWaypoint, params, Config{XDSHost: "xds", XDSPort: 18000})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.Deployment.Spec.Template.Spec.Containers); n != 1 || strings.Contains(w.ConfigMap.Data["envoy.yaml"], "gateway_proxy_sds") {
		t.Errorf("waypoint got the Istio sidecar integration (%d containers)", n)
	}
}

// TestAccessLogDirMounted: the access-log directory policies may write in
// is a writable emptyDir (the root filesystem is read-only), default or
// configured.
func TestAccessLogDirMounted(t *testing.T) {
	for _, c := range []struct{ dir, want string }{{"", "/var/log/wasp"}, {"/srv/logs", "/srv/logs"}} {
		o, err := Build(gateway(gwv1.Listener{Name: "web", Port: 80, Protocol: gwv1.HTTPProtocolType}), ir.KindIngress, nil,
			Config{XDSHost: "xds", XDSPort: 18000, AccessLogDir: c.dir})
		if err != nil {
			t.Fatal(err)
		}
		spec := o.Deployment.Spec.Template.Spec
		var mounted bool
		for _, m := range spec.Containers[0].VolumeMounts {
			if m.MountPath == c.want && !m.ReadOnly {
				for _, v := range spec.Volumes {
					if v.Name == m.Name && v.EmptyDir != nil {
						mounted = true
					}
				}
			}
		}
		if !mounted {
			t.Errorf("dir %q: no writable emptyDir at %s: %+v", c.dir, c.want, spec.Containers[0].VolumeMounts)
		}
	}
}
