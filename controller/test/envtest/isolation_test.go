package envtest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"wasp.dev/controller/api/v1alpha1"
	"wasp.dev/controller/internal/manifest"
	"wasp.dev/xds/translator"
)

// isolationObjects: one Gateway shared by two tenants. Tenant a is well
// behaved; tenant b has one bad object of each kind the API server
// admits but Envoy would refuse.
const isolationObjects = `
apiVersion: v1
kind: Namespace
metadata: {name: iso-infra}
---
apiVersion: v1
kind: Namespace
metadata: {name: iso-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: iso-b}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: shared, namespace: iso-infra}
spec:
  gatewayClassName: wasp
  listeners:
  - {name: web, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: iso-a}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: app, namespace: iso-b}
spec:
  ports: [{name: http, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: good, namespace: iso-a}
spec:
  parentRefs: [{name: shared, namespace: iso-infra}]
  hostnames: [a.example.com]
  rules: [{backendRefs: [{name: app, port: 80}]}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: limit, namespace: iso-a}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: good}]
  rateLimit: {local: {tokenBucket: {maxTokens: 10, fillInterval: 1s}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad-regex, namespace: iso-b}
spec:
  parentRefs: [{name: shared, namespace: iso-infra}]
  hostnames: [b.example.com]
  rules:
  - matches: [{path: {type: RegularExpression, value: "((("}}]
    backendRefs: [{name: app, port: 80}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad-host-header, namespace: iso-b}
spec:
  parentRefs: [{name: shared, namespace: iso-infra}]
  hostnames: [b2.example.com]
  rules:
  - filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: Host, value: x}]}}]
    backendRefs: [{name: app, port: 80}]
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: HTTPListenerPolicy
metadata: {name: elsewhere, namespace: iso-infra}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: shared}]
  accessLog: [{fileSink: {path: /var/lib/elsewhere.log, stringFormat: "%RESPONSE_CODE%\n"}}]
`

// TestBadObjectsLeaveSharedGatewayUpdating is the tenant-isolation check
// on a real API server: the bad objects are each reported on their own
// status naming the field, the Gateway stays Programmed, and another
// tenant's policy edit still reaches the proxy's Envoy config.
func TestBadObjectsLeaveSharedGatewayUpdating(t *testing.T) {
	ensureSeeds(t)
	ctx := context.Background()
	res, err := manifest.Load("isolation", []byte(isolationObjects))
	if err != nil {
		t.Fatal(err)
	}
	in := &res.Input
	var objs []client.Object
	for _, o := range in.Namespaces {
		objs = append(objs, o)
	}
	for _, o := range in.Services {
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
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatalf("create %s: %v", o.GetName(), err)
		}
	}
	defer func() {
		for i := len(objs) - 1; i >= 0; i-- {
			k8s.Delete(ctx, objs[i])
		}
	}()

	routeRejected := func(name, field string) func() error {
		return func() error {
			var rt gwv1.HTTPRoute
			if err := get(t, "iso-b", name, &rt); err != nil {
				return err
			}
			p := ourParent(&rt, "shared")
			if p == nil {
				return fmt.Errorf("no wasp parent on %s", name)
			}
			if err := condition(p.Conditions, "Accepted", "False", string(gwv1.RouteReasonUnsupportedValue)); err != nil {
				return err
			}
			if c := meta.FindStatusCondition(p.Conditions, "Accepted"); !strings.Contains(c.Message, field) {
				return fmt.Errorf("message %q does not name %s", c.Message, field)
			}
			return nil
		}
	}
	eventually(t, "bad regex route rejected", routeRejected("bad-regex", "spec.rules[0].matches[0].path.value"))
	eventually(t, "host header route rejected", routeRejected("bad-host-header", "spec.rules[0].filters[0].requestHeaderModifier.set[0].name"))
	eventually(t, "access log outside the directory Invalid", func() error {
		var p v1alpha1.HTTPListenerPolicy
		if err := get(t, "iso-infra", "elsewhere", &p); err != nil {
			return err
		}
		a := ourAncestor(p.Status, "shared")
		if a == nil {
			return fmt.Errorf("no ancestor")
		}
		if err := condition(a.Conditions, "Accepted", "False", "Invalid"); err != nil {
			return err
		}
		if c := meta.FindStatusCondition(a.Conditions, "Accepted"); !strings.Contains(c.Message, "accessLog[0].fileSink.path") {
			return fmt.Errorf("message %q does not name the path", c.Message)
		}
		return nil
	})
	eventually(t, "shared Gateway Programmed", func() error {
		var gw gwv1.Gateway
		if err := get(t, "iso-infra", "shared", &gw); err != nil {
			return err
		}
		return condition(gw.Status.Conditions, "Programmed", "True", "Programmed")
	})

	// Tenant a edits its policy: the change reaches the Envoy config.
	// (Retried: wasp's status writes may bump the resourceVersion.)
	eventually(t, "edit tenant a's policy", func() error {
		var tp v1alpha1.TrafficPolicy
		if err := get(t, "iso-a", "limit", &tp); err != nil {
			return err
		}
		tp.Spec.RateLimit.Local.TokenBucket.MaxTokens = 7
		return k8s.Update(ctx, &tp)
	})
	eventually(t, "tenant a's edit in the proxy's Envoy config", func() error {
		return proxyConfigContains("iso-infra/shared", `"maxTokens":7`)
	})
}

// proxyConfigContains translates the published proxy as the ADS server
// does and looks for want in its Envoy resources (YAML).
func proxyConfigContains(name, want string) error {
	in, err := pub.snapshot()
	if err != nil {
		return err
	}
	for _, p := range in.Proxies {
		if p.Name != name {
			continue
		}
		res, err := translator.Translate(p, translator.Options{})
		if err != nil {
			return err
		}
		y, err := res.YAML()
		if err != nil {
			return err
		}
		if !strings.Contains(string(y), want) {
			return fmt.Errorf("proxy %s config lacks %s", name, want)
		}
		return nil
	}
	return fmt.Errorf("no proxy %s published", name)
}

// TestAdmissionBounds: values with no sane meaning never get stored.
func TestAdmissionBounds(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, want string
		obj        client.Object
	}{
		{"fillInterval of 45 years", "must be at most 24h", &v1alpha1.TrafficPolicy{
			Spec: v1alpha1.TrafficPolicySpec{TargetRefs: []v1alpha1.LocalPolicyTargetReferenceWithSectionName{routeRef("r")},
				RateLimit: bucket(1, "99999h")}}},
		{"access log to /etc/passwd", "spec.accessLog[0].fileSink.path", &v1alpha1.HTTPListenerPolicy{
			Spec: v1alpha1.HTTPListenerPolicySpec{AccessLog: []v1alpha1.AccessLog{{FileSink: &v1alpha1.FileSink{Path: "/etc/passwd", StringFormat: "x"}}}}}},
		{"16 header templates of 4 KiB", "at most 16384 characters", &v1alpha1.TrafficPolicy{
			Spec: v1alpha1.TrafficPolicySpec{Transformation: &v1alpha1.TransformationPolicy{Request: &v1alpha1.Transform{Set: bigHeaders(16, 4096)}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.obj.SetName("bounds")
			c.obj.SetNamespace("default")
			err := k8s.Create(ctx, c.obj)
			if err == nil {
				k8s.Delete(ctx, c.obj)
				t.Fatal("admitted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q lacks %q", err, c.want)
			}
		})
	}
}

func bigHeaders(n, size int) []v1alpha1.HeaderTransformation {
	var out []v1alpha1.HeaderTransformation
	for i := range n {
		out = append(out, v1alpha1.HeaderTransformation{Name: v1alpha1.HeaderName(fmt.Sprintf("x-h%d", i)), Value: v1alpha1.Template(strings.Repeat("v", size))})
	}
	return out
}
