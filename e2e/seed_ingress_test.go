package e2e

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"wasp.dev/e2e/envoysim"
	"wasp.dev/e2e/harness"
)

func hasListener(port uint32) func(*envoysim.Resources) bool {
	return func(res *envoysim.Resources) bool { return listenerOnPort(res, port) != nil }
}

// TestSeedIngressHttpbin: kgateway's getting-started httpbin route on an
// ingress Gateway, and the Gloo Upstream backend wasp does not serve
// (ResolvedRefs False / InvalidKind, requests answered 500).
func TestSeedIngressHttpbin(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "ingress-httpbin")
	waitGateway(t, in, "kgateway-system", "http")
	waitRouteParents(t, in, "httpbin", "httpbin", "True", "True")
	r := waitRouteParents(t, in, "kgateway-system", "exclude-automtls", "True", "False")
	parents, _, _ := unstructured.NestedSlice(r.Object, "status", "parents")
	pm, _ := parents[0].(map[string]any)
	conds, _ := pm["conditions"].([]any)
	if _, reason, _ := harness.Condition(conds, "ResolvedRefs"); reason != "InvalidKind" {
		t.Errorf("exclude-automtls ResolvedRefs reason %q, want InvalidKind", reason)
	}
	ads := connectProxy(t, in, "kgateway-system", "http")
	res := waitXDS(t, ads, "the 8080 listener", hasListener(8080))
	sim := newSim(t, in, ads, res, envoysim.Options{Seed: 6})
	cases := []struct {
		authority string
		status    int
		endpoint  string
	}{
		{"www.example.com", 200, "10.244.2.31:8080"},
		{"www.example.com:8080", 200, "10.244.2.31:8080"},
		{"disable-automtls.example", 500, ""},
		{"unknown.example", 404, ""},
	}
	for _, c := range cases {
		ex, err := sim.Do(envoysim.Request{ListenerPort: 8080, Authority: c.authority, Path: "/headers"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status() != c.status || ex.Endpoint != c.endpoint {
			t.Errorf("%s: %d via %q (route %q), want %d via %q", c.authority, ex.Status(), ex.Endpoint, ex.Route, c.status, c.endpoint)
		}
	}
}

// TestSeedIngressCanary: the service-mesh guide's Istio ingress Gateway on
// wasp: the 90/10 canary with a rate limit and a response header from one
// TrafficPolicy, the /api route's request header, and the HTTPS listener
// with its certificate (Accepted, Programmed, served over TLS).
func TestSeedIngressCanary(t *testing.T) {
	in := installed(t)
	applySeed(t, in, "ingress-canary")
	waitRouteParents(t, in, "default", "canary-route", "True", "True")
	waitRouteParents(t, in, "default", "authenticated-route", "True", "True")
	waitPolicy(t, in, "TrafficPolicy", "default", "canary-limits")
	gw, err := in.Applier.WaitObject(withTimeout(t, statusTimeout), gatewayAPI, "Gateway", "istio-system", "istio-gateway", func(u *unstructured.Unstructured) string {
		ls, _, _ := unstructured.NestedSlice(u.Object, "status", "listeners")
		if len(ls) != 2 {
			return fmt.Sprintf("%d listener statuses", len(ls))
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	ls, _, _ := unstructured.NestedSlice(gw.Object, "status", "listeners")
	for _, l := range ls {
		lm, _ := l.(map[string]any)
		conds, _ := lm["conditions"].([]any)
		for _, typ := range []string{"Accepted", "Programmed", "ResolvedRefs"} {
			if s, reason, _ := harness.Condition(conds, typ); s != "True" {
				t.Errorf("listener %v %s=%s (%s)", lm["name"], typ, s, reason)
			}
		}
	}
	ads := connectProxy(t, in, "istio-system", "istio-gateway")
	res := waitXDS(t, ads, "the 80 listener", hasListener(80))
	sim := newSim(t, in, ads, res, envoysim.Options{Seed: 7})

	// /api goes to api-service, which has no endpoints in the seed: Envoy
	// answers 503 UH. The route carries the seed's header for upstream.
	api, err := sim.Do(envoysim.Request{ListenerPort: 80, Authority: "anything.example", Path: "/api/users"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if api.Status() != 503 || api.ResponseFlags != "UH" || !strings.Contains(api.Route, "authenticated-route") {
		t.Errorf("/api: %d %s via route %q, want 503 UH on authenticated-route", api.Status(), api.ResponseFlags, api.Route)
	}
	if !strings.Contains(fmt.Sprint(res.Routes), `key:"X-Forwarded-User"  value:"${jwt.sub}"`) &&
		!strings.Contains(strings.ToLower(fmt.Sprint(res.Routes)), `key:"x-forwarded-user"`) {
		t.Errorf("no X-Forwarded-User request header in the routes: %v", res.Routes)
	}
	counts := map[string]int{}
	for range splitRequests {
		ex, err := sim.Do(envoysim.Request{ListenerPort: 80, Authority: "app.example.com", Path: "/"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Status() == 200 {
			if ex.Result.Header("x-served-by") != "wasp" {
				t.Fatalf("canary response headers %v: want x-served-by: wasp", ex.Result.Response.Headers)
			}
			counts[ex.Cluster]++
		} else {
			counts[fmt.Sprint(ex.Status())]++
		}
	}
	// 100 tokens, 10 per second: the clock does not move, so exactly 100 pass.
	if counts["429"] != splitRequests-100 {
		t.Errorf("rate limit 100 burst: %v", counts)
	}
	stable := counts["default/frontend-stable:8080"]
	if stable < 80 || stable > 98 {
		t.Errorf("90/10 split of the 100 admitted: %v", counts)
	}
}
