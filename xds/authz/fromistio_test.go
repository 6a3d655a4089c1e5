package authz

import (
	"encoding/json"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"

	"wasp.dev/xds/ir"
)

func TestFromIstio(t *testing.T) {
	cases := []struct {
		name        string
		namespace   string
		annotations map[string]string
		spec        string // YAML of .spec
		want        string // YAML of the IR policy; "" = not for waypoints
	}{
		{
			name:      "seed 004 with a Service target",
			namespace: "default",
			spec: `
targetRefs: [{kind: Service, group: "", name: api-service}]
action: ALLOW
rules:
- from: [{source: {principals: ["cluster.local/ns/default/sa/frontend"]}}]
  to: [{operation: {methods: [GET, POST], paths: ["/api/*"]}}]`,
			want: `
namespace: default
name: p
action: ALLOW
targets: [{kind: Service, name: api-service}]
rules:
- from: [{principals: ["cluster.local/ns/default/sa/frontend"]}]
  to: [{methods: [GET, POST], paths: ["/api/*"]}]`,
		},
		{
			name:      "selector-based policies are ignored by waypoints",
			namespace: "default",
			spec:      `{selector: {matchLabels: {app: api}}, action: DENY, rules: [{}]}`,
		},
		{
			name:        "mesh-wide GatewayClass in the root namespace, dry-run",
			namespace:   "istio-system",
			annotations: map[string]string{DryRunAnnotation: "true"},
			spec:        `{targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}], action: DENY, rules: [{to: [{operation: {ports: ["22"]}}]}]}`,
			want: `
namespace: istio-system
name: p
action: DENY
dryRun: true
targets: [{kind: GatewayClass, name: istio-waypoint}]
rules: [{to: [{ports: ["22"]}]}]`,
		},
		{
			name:      "GatewayClass outside the root namespace is ignored",
			namespace: "default",
			spec:      `{targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}]}`,
		},
		{
			name:      "other GatewayClass is ignored",
			namespace: "istio-system",
			spec:      `{targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio}]}`,
		},
		{
			name:      "Gateway and ServiceEntry targets, CUSTOM, no rules",
			namespace: "shop",
			spec: `
targetRefs:
- {kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}
- {kind: ServiceEntry, group: networking.istio.io, name: ext, namespace: shop}
- {kind: Pod, group: "", name: ignored}
action: CUSTOM
provider: {name: oauth2-proxy}`,
			want: `
namespace: shop
name: p
action: CUSTOM
provider: oauth2-proxy
targets: [{kind: Gateway, name: waypoint}, {kind: ServiceEntry, name: ext}]`,
		},
		{
			name:      "unknown fields become Unsupported; nil source and operation match anything",
			namespace: "default",
			spec: `
targetRef: {kind: Service, name: api}
rules:
- from: [{source: {principals: ["*"], futureField: [x]}}, {}]
  to: [{operation: {paths: ["/a"], grpcMethods: [y]}}]
  when: [{key: source.ip, values: ["10.0.0.0/8"], regex: z}]
  extra: true`,
			want: `
namespace: default
name: p
targets: [{kind: Service, name: api}]
rules:
- from: [{principals: ["*"]}, {}]
  to: [{paths: ["/a"]}]
  when: [{key: source.ip, values: ["10.0.0.0/8"]}]
  unsupported: [extra, from.source.futureField, to.operation.grpcMethods, when.regex]`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec, err := yaml.YAMLToJSON([]byte(c.spec))
			if err != nil {
				t.Fatal(err)
			}
			got, err := FromIstio(IstioPolicy{Namespace: c.namespace, Name: "p", Annotations: c.annotations, Spec: spec}, Mesh{})
			if err != nil {
				t.Fatal(err)
			}
			if c.want == "" {
				if got != nil {
					t.Fatalf("got %+v, want nil (not for waypoints)", got)
				}
				return
			}
			var want ir.AuthorizationPolicy
			if err := yaml.UnmarshalStrict([]byte(c.want), &want); err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(&want)
			if string(gj) != string(wj) {
				t.Errorf("got  %s\nwant %s", gj, wj)
			}
		})
	}
}

func TestFromIstioRejectsUnknownAction(t *testing.T) {
	_, err := FromIstio(IstioPolicy{Namespace: "d", Name: "p", Spec: []byte(`{"targetRefs":[{"kind":"Service","name":"s"}],"action":"MAYBE"}`)}, Mesh{})
	if err == nil {
		t.Fatal("want an error for action MAYBE")
	}
}

func TestForService(t *testing.T) {
	ps := []*ir.AuthorizationPolicy{
		{Namespace: "b", Name: "svc-x", Targets: []ir.AuthorizationTarget{{Kind: ir.TargetService, Name: "x"}}},
		{Namespace: "a", Name: "gw", Targets: []ir.AuthorizationTarget{{Kind: ir.TargetGateway, Name: "waypoint"}}},
		{Namespace: "a", Name: "svc-x-other-ns", Targets: []ir.AuthorizationTarget{{Kind: ir.TargetService, Name: "x"}}},
		{Namespace: "root", Name: "mesh", Targets: []ir.AuthorizationTarget{{Kind: ir.TargetGatewayClass, Name: "istio-waypoint"}}},
		{Namespace: "b", Name: "se-y", Targets: []ir.AuthorizationTarget{{Kind: ir.TargetServiceEntry, Namespace: "b", Name: "y"}}},
	}
	names := func(ps []*ir.AuthorizationPolicy) (out []string) {
		for _, p := range ps {
			out = append(out, p.Namespace+"/"+p.Name)
		}
		return out
	}
	got := names(ForService(ps, "b", "x"))
	want := []string{"a/gw", "b/svc-x", "root/mesh"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got := names(ForService(ps, "b", "y")); len(got) != 3 || got[1] != "b/se-y" {
		t.Fatalf("ServiceEntry target: got %v", got)
	}
}

func TestReview(t *testing.T) {
	p := &ir.AuthorizationPolicy{Namespace: "d", Name: "p", Action: ir.AuthorizationCustom, Rules: []ir.AuthorizationRule{
		{To: []ir.AuthorizationOperation{{Methods: []string{"GET"}}}},
	}}
	httpOnly, err := Review(p, true, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(httpOnly) != 1 || httpOnly[0].Reason != ReasonCustomAction {
		t.Fatalf("HTTP only: %v", httpOnly)
	}
	both, err := Review(p, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(both) != 2 || both[1].Reason != ReasonHTTPOnlyOnTCP || both[1].Effect != EffectConditionDropped {
		t.Fatalf("HTTP and TCP: %v", both)
	}
}

func TestFromIstioTrustDomains(t *testing.T) {
	spec := []byte(`{"targetRefs":[{"kind":"Service","name":"s"}],"rules":[{
		"from":[{"source":{"principals":["cluster.local/ns/a/sa/x","*/ns/a/sa/y","other.org/ns/a/sa/z","*-td/ns/a/sa/w","sa/short"]}}],
		"when":[{"key":"source.principal","notValues":["new-td/ns/b/sa/v"]}]}]}`)
	p, err := FromIstio(IstioPolicy{Namespace: "d", Name: "p", Spec: spec}, Mesh{TrustDomain: "new-td", TrustDomainAliases: []string{"old-td"}})
	if err != nil {
		t.Fatal(err)
	}
	got := p.Rules[0].From[0].Principals
	want := []string{"new-td/ns/a/sa/x", "old-td/ns/a/sa/x", "*/ns/a/sa/y", "other.org/ns/a/sa/z", "*-td/ns/a/sa/w", "sa/short"}
	if !slices.Equal(got, want) {
		t.Errorf("principals = %v, want %v", got, want)
	}
	if got, want := p.Rules[0].When[0].NotValues, []string{"new-td/ns/b/sa/v", "old-td/ns/b/sa/v"}; !slices.Equal(got, want) {
		t.Errorf("when notValues = %v, want %v", got, want)
	}
	// The default mesh keeps cluster.local principals as written.
	p, err = FromIstio(IstioPolicy{Namespace: "d", Name: "p", Spec: spec}, Mesh{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Rules[0].From[0].Principals[0]; got != "cluster.local/ns/a/sa/x" {
		t.Errorf("default mesh: %q", got)
	}
}
