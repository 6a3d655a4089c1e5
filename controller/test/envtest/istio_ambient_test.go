package envtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/internal/controller"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// istioRecheck makes the controller notice Istio's CRDs soon after
// TestIstioAmbient installs them.
const istioRecheck = 300 * time.Millisecond

// istioAPIVersion is the istio.io/api module whose CRD YAML the test
// installs (read from the Go module cache, like the Gateway API CRDs; it is
// not a dependency of wasp).
const istioAPIVersion = "v1.31.1"

// TestIstioAmbient runs the controller without Istio's CRDs (the suite
// starts without them): a waypoint works. Then it installs Istio's
// AuthorizationPolicy and ServiceEntry CRDs, which the controller picks up
// without a restart, and checks the RBAC filters, the ServiceEntry chains,
// wasp's reports (Gateway condition, Events) and that wasp writes no status
// on Istio's objects.
func TestIstioAmbient(t *testing.T) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	const ns, other = "ambient", "ambient-client"
	// Phase 1: no Istio CRDs.
	if _, err := k8s.RESTMapper().RESTMapping(controller.AuthorizationPolicyGVK.GroupKind(), "v1"); err == nil {
		t.Fatal("AuthorizationPolicy is served before the test installs Istio's CRDs: the no-Istio phase would prove nothing")
	}
	must(createOrMerge(ctx, &gwv1.GatewayClass{
		ObjectMeta: metav1.ObjectMeta{Name: translate.DefaultWaypointClass,
			Annotations: map[string]string{"ambient.istio.io/waypoint-inbound-binding": "PROXY/15088"}},
		Spec: gwv1.GatewayClassSpec{ControllerName: translate.DefaultControllerName},
	}))
	must(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"istio.io/use-waypoint": "wp"}}}))
	must(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: other}}))
	must(k8s.Create(ctx, &gwv1.Gateway{
		ObjectMeta: metav1.ObjectMeta{Name: "wp", Namespace: ns},
		Spec: gwv1.GatewaySpec{GatewayClassName: translate.DefaultWaypointClass, Listeners: []gwv1.Listener{
			{Name: "proxy", Protocol: "istio.io/PROXY", Port: 15088}}},
	}))
	must(k8s.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "reviews", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 9080}}}}))
	must(k8s.Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: ns},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "tcp-pg", Port: 5432}}}}))
	eventually(t, "waypoint serves reviews without Istio's CRDs", func() error {
		w, err := publishedWaypoint(ns + "/wp")
		if err != nil {
			return err
		}
		if len(w.Services) != 2 || len(w.AuthorizationPolicies) != 0 {
			return fmt.Errorf("services %d, policies %d", len(w.Services), len(w.AuthorizationPolicies))
		}
		var gw gwv1.Gateway
		if err := get(t, ns, "wp", &gw); err != nil {
			return err
		}
		return condition(gw.Status.Conditions, translate.ConditionAuthorizationEnforced, metav1.ConditionTrue, translate.AuthorizationReasonEnforced)
	})

	// Phase 2: Istio's CRDs appear.
	dir := istioCRDs(t)
	if _, err := envtest.InstallCRDs(restConfig, envtest.CRDInstallOptions{Paths: []string{dir}, ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: reviews-from-frontend, namespace: ambient}
spec:
  targetRefs: [{kind: Service, group: "", name: reviews}]
  action: ALLOW
  rules:
  - from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}]
`, `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-admin, namespace: ambient}
spec:
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: wp}]
  action: DENY
  rules:
  - to: [{operation: {paths: ["/admin/*"]}}]
`, `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: payments, namespace: ambient}
spec:
  hosts: [api.payments.example]
  addresses: [240.240.0.10]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`} {
		u := &unstructured.Unstructured{}
		must(yaml.Unmarshal([]byte(doc), &u.Object))
		eventually(t, "create "+u.GetKind()+" "+u.GetName(), func() error {
			return k8s.Create(ctx, u.DeepCopy()) // retries until the CRD is established
		})
	}
	// A Service that asks for wp from another namespace, which wp's
	// listener (allowedRoutes Same) does not admit; its GAMMA route.
	must(k8s.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: other, Labels: map[string]string{
			"istio.io/use-waypoint": "wp", "istio.io/use-waypoint-namespace": ns}},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}))
	must(k8s.Create(ctx, &gwv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: "cart", Namespace: other},
		Spec: gwv1.HTTPRouteSpec{CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: []gwv1.ParentReference{{
			Group: ptr(gwv1.Group("")), Kind: ptr(gwv1.Kind("Service")), Name: "cart", Port: ptr(gwv1.PortNumber(80))}}}},
	}))

	eventually(t, "RBAC filters and ServiceEntry chains in xDS", func() error {
		w, err := publishedWaypoint(ns + "/wp")
		if err != nil {
			return err
		}
		if len(w.AuthorizationPolicies) != 2 {
			return fmt.Errorf("policies in the IR: %d", len(w.AuthorizationPolicies))
		}
		var entry *ir.WaypointService
		for _, s := range w.Services {
			if s.Hostname == "api.payments.example" {
				entry = s
			}
		}
		if entry == nil || len(entry.Addresses) != 1 || entry.Addresses[0] != "240.240.0.10" {
			return fmt.Errorf("ServiceEntry not served: %+v", entry)
		}
		xdsJSON, err := waypointXDS(ns + "/wp")
		if err != nil {
			return err
		}
		for _, want := range []string{
			"envoy.extensions.filters.http.rbac.v3.RBAC",
			"envoy.extensions.filters.network.rbac.v3.RBAC",
			"spiffe://cluster.local/ns/default/sa/frontend",
			"240.240.0.10",
		} {
			if !strings.Contains(xdsJSON, want) {
				return fmt.Errorf("xDS lacks %q", want)
			}
		}
		return nil
	})
	eventually(t, "the Gateway names the partially enforced policy", func() error {
		var gw gwv1.Gateway
		if err := get(t, ns, "wp", &gw); err != nil {
			return err
		}
		if err := condition(gw.Status.Conditions, translate.ConditionAuthorizationEnforced, metav1.ConditionFalse, translate.AuthorizationReasonPartiallyEnforced); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(gw.Status.Conditions, translate.ConditionAuthorizationEnforced); !strings.Contains(c.Message, "ambient/deny-admin") {
			return fmt.Errorf("message does not name the policy: %s", c.Message)
		}
		return nil
	})
	eventually(t, "Events on the policies", func() error {
		var evs corev1.EventList
		if err := k8s.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		got := map[string]string{}
		for _, e := range evs.Items {
			if e.InvolvedObject.Kind == "AuthorizationPolicy" {
				got[e.InvolvedObject.Name] = e.Type + "/" + e.Reason
			}
		}
		want := map[string]string{
			"deny-admin":            "Warning/" + controller.EventAuthorizationPartiallyEnforced,
			"reviews-from-frontend": "Normal/" + controller.EventAuthorizationEnforced,
		}
		for k, v := range want {
			if got[k] != v {
				return fmt.Errorf("events: %v, want %v", got, want)
			}
		}
		return nil
	})
	eventually(t, "wasp's parent status on the unserved Service's route", func() error {
		var rt gwv1.HTTPRoute
		if err := get(t, other, "cart", &rt); err != nil {
			return err
		}
		p := ourParent(&rt, "cart")
		if p == nil {
			return fmt.Errorf("no wasp parent: %+v", rt.Status.Parents)
		}
		return condition(p.Conditions, "Accepted", metav1.ConditionFalse, string(translate.RouteReasonServiceNotServed))
	})
	// istiod owns status on Istio's objects: wasp writes none.
	for _, name := range []string{"deny-admin", "reviews-from-frontend"} {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(controller.AuthorizationPolicyGVK)
		must(get(t, ns, name, u))
		if st, ok := u.Object["status"]; ok {
			t.Errorf("AuthorizationPolicy %s has a status wasp must not write: %v", name, st)
		}
	}
}

// publishedWaypoint returns the last published IR's waypoint of a proxy.
func publishedWaypoint(name string) (*ir.Waypoint, error) {
	in, err := pub.snapshot()
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, fmt.Errorf("nothing published")
	}
	for _, p := range in.Proxies {
		if p.Name == name && p.Waypoint != nil {
			return p.Waypoint, nil
		}
	}
	return nil, fmt.Errorf("no waypoint %s published", name)
}

// waypointXDS translates the published proxy to Envoy resources and
// returns its listeners and clusters as JSON.
func waypointXDS(name string) (string, error) {
	in, _ := pub.snapshot()
	for _, p := range in.Proxies {
		if p.Name != name {
			continue
		}
		res, err := translator.Translate(p, translator.Options{})
		if err != nil {
			return "", err
		}
		var b strings.Builder
		for _, l := range res.Listeners {
			j, err := protojson.Marshal(l)
			if err != nil {
				return "", err
			}
			b.Write(j)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("no proxy %s", name)
}

// istioCRDs writes the AuthorizationPolicy and ServiceEntry CRDs of
// istio.io/api (or WASP_ISTIO_CRDS, a file of Istio's CRD YAML) to a
// temporary directory.
func istioCRDs(t *testing.T) string {
	t.Helper()
	src := os.Getenv("WASP_ISTIO_CRDS")
	if src == "" {
		cmd := exec.Command("go", "mod", "download", "-json", "istio.io/api@"+istioAPIVersion)
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		cmd.Dir = t.TempDir()
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("downloading istio.io/api %s for its CRD YAML: %v", istioAPIVersion, err)
		}
		var mod struct{ Dir string }
		if err := yaml.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
			t.Fatalf("go mod download: %s", out)
		}
		src = filepath.Join(mod.Dir, "kubernetes", "customresourcedefinitions.gen.yaml")
	}
	all, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, doc := range strings.Split(string(all), "\n---\n") {
		if strings.Contains(doc, "name: authorizationpolicies.security.istio.io") || strings.Contains(doc, "name: serviceentries.networking.istio.io") {
			keep = append(keep, doc)
		}
	}
	if len(keep) != 2 {
		t.Fatalf("%s: found %d of the 2 CRDs", src, len(keep))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "istio-crds.yaml"), []byte(strings.Join(keep, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
