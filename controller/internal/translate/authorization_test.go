package translate_test

import (
	"testing"

	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
)

// TestAuthorizationRootNamespace: mesh-wide policies come from the
// configured root namespace only.
func TestAuthorizationRootNamespace(t *testing.T) {
	res, err := manifest.LoadPaths("testdata/istio-authz.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	policies := func(root string) map[string]bool {
		o := goldenOptions()
		o.IstioMesh.RootNamespace = root
		out := translate.Translate(&res.Input, o)
		got := map[string]bool{}
		for _, p := range out.IR.Proxies {
			for _, ap := range p.Waypoint.AuthorizationPolicies {
				got[ap.Namespace+"/"+ap.Name] = true
			}
		}
		return got
	}
	if got := policies(""); !got["istio-system/mesh-deny-untrusted"] || got["shop/class-not-root"] {
		t.Errorf("default root namespace istio-system: %v", got)
	}
	if got := policies("shop"); got["istio-system/mesh-deny-untrusted"] || !got["shop/class-not-root"] {
		t.Errorf("root namespace shop: %v", got)
	}
}
