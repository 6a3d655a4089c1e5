package manifest

import (
	"strings"
	"testing"
)

func TestLoadConvertsDefaultsAndSkips(t *testing.T) {
	res, err := Load("in.yaml", []byte(`
# a comment-only document is ignored
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: HTTPRoute
metadata: {name: r}
spec:
  parentRefs: [{name: gw}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec: {hosts: [x]}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s, namespace: apps}
  spec: {ports: [{port: 80}]}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d}
  spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}}}
`))
	if err != nil {
		t.Fatal(err)
	}
	in := res.Input
	if len(in.HTTPRoutes) != 1 || in.HTTPRoutes[0].Namespace != DefaultNamespace || in.HTTPRoutes[0].Spec.ParentRefs[0].Name != "gw" {
		t.Errorf("v1beta1 route not converted/defaulted: %+v", in.HTTPRoutes)
	}
	if len(in.Services) != 1 || in.Services[0].Namespace != "apps" {
		t.Errorf("List item not read: %+v", in.Services)
	}
	if len(res.Other) != 1 {
		t.Errorf("Deployment not kept in Other: %v", res.Other)
	}
	if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0], "VirtualService vs") {
		t.Errorf("skipped: %v", res.Skipped)
	}
}

func TestLoadErrorsNameTheDocument(t *testing.T) {
	_, err := Load("bad.yaml", []byte(`apiVersion: v1
kind: Service
metadata: {name: ok}
---
apiVersion: gateway.kgateway.dev/v1alpha1
kind: TrafficPolicy
metadata: {name: p}
spec: {rateLimit: {local: {tokenBucket: {maxTokens: "three"}}}}
---
kind: Service
metadata: {name: noversion}
`))
	if err == nil {
		t.Fatal("invalid input accepted")
	}
	for _, want := range []string{`bad.yaml: document 2: TrafficPolicy "p"`, "maxTokens", "bad.yaml: document 3: missing apiVersion or kind"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
