package translate_test

import (
	"strings"
	"testing"

	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
)

// TestListenerIsolation backs the GatewayHTTPListenerIsolation feature: on
// the conformance-shaped input, each host's virtual host carries only the
// routes of the most specific listener for it (route names say which).
func TestListenerIsolation(t *testing.T) {
	res, err := manifest.LoadPaths("testdata/isolation.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := translate.Translate(&res.Input, goldenOptions())
	if len(out.IR.Proxies) != 1 || len(out.IR.Proxies[0].Listeners) != 1 {
		t.Fatalf("want one proxy with one port, got %+v", out.IR.Proxies)
	}
	want := map[string]string{ // virtual host hostname → the only route allowed
		"*":                   "attaches-to-empty-hostname",
		"*.example.com":       "attaches-to-wildcard-example-com",
		"*.foo.example.com":   "attaches-to-wildcard-foo-example-com",
		"abc.foo.example.com": "attaches-to-abc-foo-example-com",
	}
	seen := map[string]bool{}
	for _, vh := range out.IR.Proxies[0].Listeners[0].VirtualHosts {
		h := vh.Hostnames[0]
		seen[h] = true
		for _, r := range vh.Routes {
			if strings.Contains(r.Name, "empty-hostname-names-x") {
				t.Errorf("%s: route of the empty-hostname listener for a host *.example.com owns: %s", h, r.Name)
			}
			if w, ok := want[h]; ok && !strings.Contains(r.Name, "/"+w+"/") {
				t.Errorf("virtual host %s carries %s; only %s's listener may serve it", h, r.Name, w)
			}
		}
	}
	for h := range want {
		if !seen[h] {
			t.Errorf("no virtual host for %s: its requests would fall through to a less specific listener", h)
		}
	}
}
