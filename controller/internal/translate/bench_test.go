package translate_test

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/translator"
)

// benchInput builds an input shaped like Envoy Gateway's test/gobench cases
// so the figures compare: one Gateway with HTTP listeners, n HTTPRoutes each
// with one TrafficPolicy (rate limit + transformation), n Services with an
// EndpointSlice of endpointsPerService ready endpoints.
func benchInput(n int) *translate.Input {
	const ns, endpointsPerService = "bench", 3
	in := &translate.Input{
		GatewayClasses: []*gwv1.GatewayClass{{ObjectMeta: metav1.ObjectMeta{Name: "wasp"},
			Spec: gwv1.GatewayClassSpec{ControllerName: translate.DefaultControllerName}}},
		Gateways: []*gwv1.Gateway{{
			ObjectMeta: metav1.ObjectMeta{Name: "gw", Namespace: ns},
			Spec: gwv1.GatewaySpec{GatewayClassName: "wasp", Listeners: []gwv1.Listener{
				{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80},
				{Name: "http-alt", Protocol: gwv1.HTTPProtocolType, Port: 8080},
			}},
		}},
	}
	fill := metav1.Duration{Duration: time.Second}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc-%d", i)
		in.Services = append(in.Services, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: corev1.ServiceSpec{ClusterIP: fmt.Sprintf("10.96.%d.%d", i/250, i%250+1),
				Ports: []corev1.ServicePort{{Name: "http", Port: 8080}}},
		})
		es := &discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Name: name + "-x", Namespace: ns, Labels: map[string]string{discoveryv1.LabelServiceName: name}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080))}},
		}
		for e := 0; e < endpointsPerService; e++ {
			es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("10.%d.%d.%d", 1+e, i/250, i%250+1)}})
		}
		in.EndpointSlices = append(in.EndpointSlices, es)
		route := fmt.Sprintf("route-%d", i)
		in.HTTPRoutes = append(in.HTTPRoutes, &gwv1.HTTPRoute{
			ObjectMeta: metav1.ObjectMeta{Name: route, Namespace: ns},
			Spec: gwv1.HTTPRouteSpec{
				CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{Name: "gw"}}},
				Hostnames:       []gwv1.Hostname{gwv1.Hostname(fmt.Sprintf("app-%d.example.com", i))},
				Rules: []gwv1.HTTPRouteRule{{
					Matches: []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: ptr(gwv1.PathMatchPathPrefix), Value: ptr("/api")}}},
					BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{
						BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: ptr(gwv1.PortNumber(8080))}}}},
				}},
			},
		})
		in.TrafficPolicies = append(in.TrafficPolicies, &v1alpha1.TrafficPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: route + "-policy", Namespace: ns},
			Spec: v1alpha1.TrafficPolicySpec{
				TargetRefs: []v1alpha1.LocalPolicyTargetReferenceWithSectionName{{LocalPolicyTargetReference: v1alpha1.LocalPolicyTargetReference{
					Group: gwv1.GroupName, Kind: "HTTPRoute", Name: gwv1.ObjectName(route)}}},
				RateLimit: &v1alpha1.RateLimit{Local: &v1alpha1.LocalRateLimitPolicy{TokenBucket: &v1alpha1.TokenBucket{
					MaxTokens: 100, TokensPerFill: ptr(uint32(10)), FillInterval: fill}}},
				Transformation: &v1alpha1.TransformationPolicy{Response: &v1alpha1.Transform{
					Set: []v1alpha1.HeaderTransformation{{Name: "x-route", Value: v1alpha1.Template(route)}}}},
			},
		})
	}
	return in
}

func ptr[T any](v T) *T { return &v }

// BenchmarkGatewayAPIToXDS measures the whole pure path: Kubernetes objects
// → IR (with statuses) → Envoy resources, every resource validated.
func BenchmarkGatewayAPIToXDS(b *testing.B) {
	for _, c := range []struct {
		name string
		n    int
	}{{"small", 5}, {"medium", 50}, {"large", 500}} {
		b.Run(c.name, func(b *testing.B) {
			in := benchInput(c.n)
			opts := translate.DefaultOptions()
			b.ReportAllocs()
			for b.Loop() {
				out := translate.Translate(in, opts)
				if len(out.IR.Proxies) != 1 {
					b.Fatalf("%d proxies", len(out.IR.Proxies))
				}
				for _, p := range out.IR.Proxies {
					if _, err := translator.Translate(p, translator.Options{}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestBenchInputTranslates keeps the benchmark honest: every route and
// policy of its input is in force.
func TestBenchInputTranslates(t *testing.T) {
	out := translate.Translate(benchInput(50), translate.DefaultOptions())
	p := out.IR.Proxies[0]
	routes := 0
	for _, l := range p.Listeners {
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				routes++
				if len(r.Wasm) != 2 {
					t.Fatalf("route %s has policies %v, want ratelimit and transform", r.Name, r.Wasm)
				}
			}
		}
	}
	if want := 50 * 2; routes != want { // two listeners (ports 80 and 8080)
		t.Fatalf("%d routes, want %d", routes, want)
	}
	if _, err := translator.Translate(p, translator.Options{}); err != nil {
		t.Fatal(err)
	}
}
