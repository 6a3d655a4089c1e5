package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/xds/ir"
)

// TestPodLabelledAfterSlice: a sidecar label that reaches the Pod after its
// EndpointSlice exists still marks the endpoint for Istio mTLS (the Pod
// watch re-translates; EndpointSlices carry no pod labels).
func TestPodLabelledAfterSlice(t *testing.T) {
	ensureSeeds(t) // the ingress Gateway kgateway-system/http admits all namespaces
	ctx := context.Background()
	const ns = "mtls"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	// No controller-manager here: create the ServiceAccount pods need.
	must(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}))
	must(k8s.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}))
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "app-0", Namespace: ns},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}}}
	must(k8s.Create(ctx, pod))
	must(k8s.Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "app-1", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: "app"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.9.0.1"},
			TargetRef: &corev1.ObjectReference{Kind: "Pod", Name: "app-0", Namespace: ns, UID: pod.UID}}},
	}))
	gwns := gwv1.Namespace("kgateway-system")
	must(k8s.Create(ctx, &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: ns},
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "http", Namespace: &gwns}}},
			Hostnames:       []gwv1.Hostname{"mtls.example.com"},
			Rules: []gwv1.HTTPRouteRule{{BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{
				BackendObjectReference: gwv1.BackendObjectReference{Name: "app", Port: ptr(gwv1.PortNumber(80))}}}}}},
		},
	}))
	eventually(t, "endpoint present, plaintext", func() error { return endpointMode("mtls/app:80", ir.TLSModeNone) })
	eventually(t, "label the pod", func() error {
		var live corev1.Pod
		if err := get(t, ns, "app-0", &live); err != nil {
			return err
		}
		live.Labels = map[string]string{"security.istio.io/tlsMode": "istio"}
		return k8s.Update(ctx, &live)
	})
	eventually(t, "endpoint marked for Istio mTLS", func() error { return endpointMode("mtls/app:80", ir.TLSModeIstio) })
}

func endpointMode(backend string, want ir.EndpointTLSMode) error {
	in, _ := pub.snapshot()
	if in == nil {
		return fmt.Errorf("nothing published")
	}
	for _, p := range in.Proxies {
		for _, b := range p.Backends {
			if b.Name == backend {
				if len(b.Endpoints) != 1 {
					return fmt.Errorf("%s: endpoints %+v", backend, b.Endpoints)
				}
				if got := b.Endpoints[0].TLSMode; got != want {
					return fmt.Errorf("%s: tlsMode %q, want %q", backend, got, want)
				}
				return nil
			}
		}
	}
	return fmt.Errorf("backend %s not in the IR", backend)
}

// TestIstioIntegrationFromGatewayParameters: a class whose GatewayParameters
// enable the Istio integration gets ingress pods with istio-proxy and
// `wasp sds`, and proxies with automatic mTLS in the IR.
func TestIstioIntegrationFromGatewayParameters(t *testing.T) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(createOrMerge(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "edge"}}))
	must(k8s.Create(ctx, &v1alpha1.GatewayParameters{ObjectMeta: metav1.ObjectMeta{Name: "istio", Namespace: "edge"},
		Spec: v1alpha1.GatewayParametersSpec{Istio: &v1alpha1.IstioIntegration{Enabled: true, IstioMetaClusterId: "mycluster"}}}))
	ns := gwv1.Namespace("edge")
	must(k8s.Create(ctx, &gwv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "wasp-istio"},
		Spec: gwv1.GatewayClassSpec{ControllerName: ours, ParametersRef: &gwv1.ParametersReference{
			Group: v1alpha1.GroupName, Kind: v1alpha1.KindGatewayParameters, Name: "istio", Namespace: &ns}}}))
	must(k8s.Create(ctx, &gwv1.Gateway{ObjectMeta: metav1.ObjectMeta{Name: "meshed", Namespace: "edge"},
		Spec: gwv1.GatewaySpec{GatewayClassName: "wasp-istio", Listeners: []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 8080}}}}))
	eventually(t, "class accepted with its parameters", func() error {
		var c gwv1.GatewayClass
		if err := get(t, "", "wasp-istio", &c); err != nil {
			return err
		}
		return condition(c.Status.Conditions, "Accepted", "True", "Accepted")
	})
	eventually(t, "ingress pod template has istio-proxy and sds", func() error {
		var d appsv1.Deployment
		if err := get(t, "edge", "meshed", &d); err != nil {
			return err
		}
		var names []string
		for _, c := range d.Spec.Template.Spec.Containers {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != "envoy,istio-proxy,sds" {
			return fmt.Errorf("containers %v", names)
		}
		return istioVolumesPresent(d.Spec.Template.Spec.Volumes)
	})
	eventually(t, "bootstrap with the SDS cluster", func() error { return bootstrapHasSDS("edge", "meshed", true) })
	eventually(t, "IR proxy with automatic mTLS", func() error {
		in, _ := pub.snapshot()
		if in == nil {
			return fmt.Errorf("nothing published")
		}
		for _, p := range in.Proxies {
			if p.Name == "edge/meshed" {
				if p.IstioIntegration == nil || !p.IstioIntegration.AutoMTLS {
					return fmt.Errorf("istioIntegration %+v", p.IstioIntegration)
				}
				return nil
			}
		}
		return fmt.Errorf("no proxy edge/meshed")
	})
}
