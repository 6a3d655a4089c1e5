package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
)

const ours = gwv1.GatewayController(translate.DefaultControllerName)

// applySeeds creates every object of examples/seeds through the API server,
// so admission (OpenAPI + CEL) sees them exactly as written. The only change
// is on the Services the examples invent (not seed manifests): their cluster
// IPs are dropped, because the test API server allocates from its own range.
func applySeeds(t *testing.T) {
	t.Helper()
	res, err := manifest.LoadPaths("../../../examples/seeds")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := res.Input
	var objs []client.Object
	for _, o := range in.Namespaces {
		objs = append(objs, o)
	}
	for _, o := range in.GatewayClasses {
		objs = append(objs, o)
	}
	for _, o := range in.Services {
		o.Spec.ClusterIP, o.Spec.ClusterIPs = "", nil
		objs = append(objs, o)
	}
	for _, o := range in.EndpointSlices {
		objs = append(objs, o)
	}
	for _, o := range in.Secrets {
		objs = append(objs, o)
	}
	for _, o := range in.Gateways {
		objs = append(objs, o)
	}
	for _, o := range in.HTTPRoutes {
		objs = append(objs, o)
	}
	for _, o := range in.TrafficPolicies {
		objs = append(objs, o)
	}
	for _, o := range in.HTTPListenerPolicies {
		objs = append(objs, o)
	}
	for _, o := range objs {
		if err := createOrMerge(ctx, o); err != nil {
			t.Fatalf("applying %T %s/%s: %v", o, o.GetNamespace(), o.GetName(), err)
		}
	}
}

var seedsOnce bool

func ensureSeeds(t *testing.T) {
	t.Helper()
	if !seedsOnce {
		applySeeds(t)
		seedsOnce = true
	}
}

func get(t *testing.T, ns, name string, obj client.Object) error {
	t.Helper()
	return k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, obj)
}

// condition finds a condition by type and checks status and reason.
func condition(cs []metav1.Condition, typ string, status metav1.ConditionStatus, reason string) error {
	c := meta.FindStatusCondition(cs, typ)
	if c == nil {
		return fmt.Errorf("no %s condition in %+v", typ, cs)
	}
	if c.Status != status || c.Reason != reason {
		return fmt.Errorf("%s = %s/%s (%s), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	return nil
}

func ourParent(rt *gwv1.HTTPRoute, name string) *gwv1.RouteParentStatus {
	for i, p := range rt.Status.Parents {
		if p.ControllerName == ours && string(p.ParentRef.Name) == name {
			return &rt.Status.Parents[i]
		}
	}
	return nil
}

func ourAncestor(s gwv1.PolicyStatus, name string) *gwv1.PolicyAncestorStatus {
	for i, a := range s.Ancestors {
		if a.ControllerName == ours && string(a.AncestorRef.Name) == name {
			return &s.Ancestors[i]
		}
	}
	return nil
}

// TestSeedWaypointStatus applies the kgateway waypoint seed verbatim and
// checks every status a user would look at.
func TestSeedWaypointStatus(t *testing.T) {
	ensureSeeds(t)
	eventually(t, "GatewayClass kgateway-waypoint accepted and annotated", func() error {
		var c gwv1.GatewayClass
		if err := get(t, "", "kgateway-waypoint", &c); err != nil {
			return err
		}
		if c.Annotations[translate.AnnotationWaypointInboundBinding] != "PROXY/15088" {
			return fmt.Errorf("annotations %v", c.Annotations)
		}
		if len(c.Status.SupportedFeatures) == 0 {
			return fmt.Errorf("no supportedFeatures")
		}
		return condition(c.Status.Conditions, "Accepted", "True", "Accepted")
	})
	eventually(t, "waypoint Gateway programmed with a hostname address", func() error {
		var g gwv1.Gateway
		if err := get(t, "default", "kgateway-waypoint", &g); err != nil {
			return err
		}
		if err := condition(g.Status.Conditions, "Programmed", "True", "Programmed"); err != nil {
			return err
		}
		if len(g.Status.Addresses) != 1 || *g.Status.Addresses[0].Type != gwv1.HostnameAddressType ||
			g.Status.Addresses[0].Value != "kgateway-waypoint.default.svc.cluster.local" {
			return fmt.Errorf("addresses %+v", g.Status.Addresses)
		}
		if len(g.Status.Listeners) != 1 || g.Status.Listeners[0].AttachedRoutes < 2 {
			return fmt.Errorf("listeners %+v", g.Status.Listeners)
		}
		return nil
	})
	eventually(t, "HTTPRoute ollama accepted on its Service parent", func() error {
		var rt gwv1.HTTPRoute
		if err := get(t, "default", "ollama", &rt); err != nil {
			return err
		}
		p := ourParent(&rt, "ollama")
		if p == nil {
			return fmt.Errorf("no wasp parent in %+v", rt.Status.Parents)
		}
		if err := condition(p.Conditions, "Accepted", "True", "Accepted"); err != nil {
			return err
		}
		return condition(p.Conditions, "ResolvedRefs", "True", "ResolvedRefs")
	})
	eventually(t, "TrafficPolicy ratelimit Valid and Attached", func() error {
		var p v1alpha1.TrafficPolicy
		if err := get(t, "default", "ratelimit", &p); err != nil {
			return err
		}
		a := ourAncestor(p.Status, "kgateway-waypoint")
		if a == nil {
			return fmt.Errorf("no ancestor in %+v", p.Status)
		}
		if err := condition(a.Conditions, "Accepted", "True", "Valid"); err != nil {
			return err
		}
		return condition(a.Conditions, "Attached", "True", "Attached")
	})
	eventually(t, "HTTPListenerPolicy access-logging Valid and Attached", func() error {
		var p v1alpha1.HTTPListenerPolicy
		if err := get(t, "default", "access-logging", &p); err != nil {
			return err
		}
		a := ourAncestor(p.Status, "kgateway-waypoint")
		if a == nil {
			return fmt.Errorf("no ancestor in %+v", p.Status)
		}
		return condition(a.Conditions, "Accepted", "True", "Valid")
	})
	eventually(t, "GAMMA routes accepted (90/10 and 1/1)", func() error {
		for _, r := range []struct{ ns, name, parent string }{
			{"default", "reviews-route", "reviews"}, {"bookinfo", "bookinfo-reviews", "reviews"},
		} {
			var rt gwv1.HTTPRoute
			if err := get(t, r.ns, r.name, &rt); err != nil {
				return err
			}
			p := ourParent(&rt, r.parent)
			if p == nil {
				return fmt.Errorf("%s: no wasp parent", r.name)
			}
			if err := condition(p.Conditions, "Accepted", "True", "Accepted"); err != nil {
				return fmt.Errorf("%s: %w", r.name, err)
			}
		}
		return nil
	})
	eventually(t, "the ingress route to a Gloo Upstream reports InvalidKind", func() error {
		var rt gwv1.HTTPRoute
		if err := get(t, "kgateway-system", "exclude-automtls", &rt); err != nil {
			return err
		}
		p := ourParent(&rt, "http")
		if p == nil {
			return fmt.Errorf("no wasp parent")
		}
		return condition(p.Conditions, "ResolvedRefs", "False", "InvalidKind")
	})
}

// TestSeedWaypointIR checks the IR the reconciler published for the seeds.
func TestSeedWaypointIR(t *testing.T) {
	ensureSeeds(t)
	eventually(t, "published IR carries the seeds' behaviour", func() error {
		in, err := pub.snapshot()
		if err != nil {
			return err
		}
		if in == nil {
			return fmt.Errorf("nothing published yet")
		}
		var wp *ir.Proxy
		for _, p := range in.Proxies {
			if p.Name == "default/kgateway-waypoint" {
				wp = p
			}
		}
		if wp == nil || wp.Waypoint == nil {
			return fmt.Errorf("no waypoint proxy in %d proxies", len(in.Proxies))
		}
		r := findRoute(wp, "default/ollama:80/httproute/default/ollama/rule/0/match/0")
		if r == nil {
			return fmt.Errorf("ollama route missing")
		}
		if r.Timeouts == nil || r.Timeouts.Request == nil || r.Timeouts.Request.Std().Seconds() != 180 {
			return fmt.Errorf("timeouts %+v", r.Timeouts)
		}
		if r.Wasm[ir.FilterRateLimit] != "default/ratelimit" {
			return fmt.Errorf("rate limit not attached: %v", r.Wasm)
		}
		rv := findRoute(wp, "default/reviews:9080/httproute/default/reviews-route/rule/0/match/0")
		if rv == nil || len(rv.Backends) != 2 || rv.Backends[0].Weight != 90 || rv.Backends[1].Weight != 10 {
			return fmt.Errorf("reviews split: %+v", rv)
		}
		return nil
	})
}

func findRoute(p *ir.Proxy, name string) *ir.Route {
	if p.Waypoint != nil {
		for _, s := range p.Waypoint.Services {
			for _, sp := range s.Ports {
				for _, r := range sp.Routes {
					if r.Name == name {
						return r
					}
				}
			}
		}
	}
	for _, l := range p.Listeners {
		for _, vh := range l.VirtualHosts {
			for _, r := range vh.Routes {
				if r.Name == name {
					return r
				}
			}
		}
	}
	return nil
}

// TestSeedProxyObjects checks the waypoint's Deployment, Service,
// ServiceAccount and bootstrap ConfigMap.
func TestSeedProxyObjects(t *testing.T) {
	ensureSeeds(t)
	eventually(t, "waypoint proxy objects exist", func() error {
		var d appsv1.Deployment
		if err := get(t, "default", "kgateway-waypoint", &d); err != nil {
			return err
		}
		if d.Spec.Template.Labels["gateway.networking.k8s.io/gateway-name"] != "kgateway-waypoint" {
			return fmt.Errorf("pod labels %v", d.Spec.Template.Labels)
		}
		if len(d.OwnerReferences) != 1 || d.OwnerReferences[0].Kind != "Gateway" {
			return fmt.Errorf("owner %v", d.OwnerReferences)
		}
		var s corev1.Service
		if err := get(t, "default", "kgateway-waypoint", &s); err != nil {
			return err
		}
		if s.Spec.Type != corev1.ServiceTypeClusterIP || s.Spec.Ports[0].Port != 15088 {
			return fmt.Errorf("service %+v", s.Spec)
		}
		var sa corev1.ServiceAccount
		if err := get(t, "default", "kgateway-waypoint", &sa); err != nil {
			return err
		}
		var cm corev1.ConfigMap
		if err := get(t, "default", "kgateway-waypoint", &cm); err != nil {
			return err
		}
		if !strings.Contains(cm.Data["envoy.yaml"], "id: default/kgateway-waypoint") {
			return fmt.Errorf("bootstrap %s", cm.Data["envoy.yaml"])
		}
		return nil
	})
	eventually(t, "ingress Service is a LoadBalancer on the listener ports", func() error {
		var s corev1.Service
		if err := get(t, "istio-system", "istio-gateway", &s); err != nil {
			return err
		}
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || len(s.Spec.Ports) != 2 {
			return fmt.Errorf("service %+v", s.Spec)
		}
		return nil
	})
}
