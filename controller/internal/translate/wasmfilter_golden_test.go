package translate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/ir"
	"wasp.dev/xds/translator"
)

// wasmFilterCase is testdata/wasmfilter: in.yaml (objects), fetch.yaml
// (the fetcher's module states), out.yaml (the golden).
const wasmFilterCase = "testdata/wasmfilter"

func translateWasmFilterCase(t *testing.T) *translate.Output {
	t.Helper()
	res, err := manifest.LoadPaths(filepath.Join(wasmFilterCase, "in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(wasmFilterCase, "fetch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, &res.Input.WasmFetches); err != nil {
		t.Fatal(err)
	}
	return translate.Translate(&res.Input, goldenOptions())
}

// TestWasmFilterGolden compares the IR and statuses with out.yaml (run
// with -update to accept changes) and checks that every proxy translates.
func TestWasmFilterGolden(t *testing.T) {
	out := translateWasmFilterCase(t)
	for _, p := range out.IR.Proxies {
		if _, err := translator.Translate(p, translator.Options{}); err != nil {
			t.Errorf("proxy %s does not translate to valid Envoy config: %v", p.Name, err)
		}
	}
	got, err := yaml.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(wasmFilterCase, "out.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestWasmFilterGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", golden, lineDiff(string(want), string(got)))
	}
}

// TestWasmFilterAttachment states the golden's key promises directly, so
// a wrong -update cannot hide them.
func TestWasmFilterAttachment(t *testing.T) {
	out := translateWasmFilterCase(t)
	routes := map[string]*ir.Route{}
	filters := map[string]*ir.WasmFilter{}
	for _, p := range out.IR.Proxies {
		for _, l := range p.Listeners {
			for _, vh := range l.VirtualHosts {
				for _, r := range vh.Routes {
					routes[r.Name] = r
				}
			}
		}
		if p.Waypoint != nil {
			for _, s := range p.Waypoint.Services {
				for _, sp := range s.Ports {
					for _, r := range sp.Routes {
						routes[r.Name] = r
					}
				}
			}
		}
		for _, f := range p.WasmFilters {
			filters[f.Name] = f
		}
	}
	find := func(suffix string) *ir.Route {
		for name, r := range routes {
			if strings.HasSuffix(name, suffix) {
				return r
			}
		}
		t.Fatalf("no route ending in %s", suffix)
		return nil
	}
	auth, tagger, audit := translate.WasmFilterName("apps", "auth"), translate.WasmFilterName("apps", "tagger"), translate.WasmFilterName("apps", "admin-audit")
	read := find("httproute/apps/a/rule/0/match/0")
	if read.Wasm[auth] != auth || read.Wasm[ir.FilterRateLimit] == "" || len(read.Backends) != 1 {
		t.Errorf("rule read: want auth + rate limit, forwarding; got %+v", read)
	}
	write := find("httproute/apps/a/rule/1/match/0")
	if write.DirectResponse == nil || write.DirectResponse.Status != 500 || !strings.Contains(write.DirectResponse.Body, "DigestMismatch") {
		t.Errorf("rule write: want 500 naming DigestMismatch (FailClosed), got %+v", write.DirectResponse)
	}
	if write.Wasm[ir.FilterRateLimit] == "" {
		t.Errorf("rule write: the failing filter removed the rate limit: %v", write.Wasm)
	}
	if _, ok := write.Wasm[auth]; ok {
		t.Errorf("rule write: auth targets rule read only: %v", write.Wasm)
	}
	b := find("httproute/apps/b/rule/0/match/0")
	if b.Wasm[tagger] != tagger || len(b.Backends) != 1 {
		t.Errorf("route b: want tagger enabled, forwarding; got %+v", b)
	}
	for name, r := range routes {
		if _, ok := r.Wasm[translate.WasmFilterName("apps", "broken-open")]; ok {
			t.Errorf("route %s: FailOpen filter that failed is enabled", name)
		}
		_, hasAudit := r.Wasm[audit]
		if want := strings.Contains(name, "apps/orders:9000"); hasAudit != want {
			t.Errorf("route %s: admin-audit enabled=%v, want %v", name, hasAudit, want)
		}
		if strings.Contains(name, "apps/app:80") && (r.DirectResponse == nil || r.DirectResponse.Status != 500) {
			t.Errorf("route %s: pending FailClosed filter on Service app must answer 500, got %+v", name, r)
		}
	}
	if f := filters[auth]; f == nil || f.Custom == nil || f.Custom.RelativeTo != ir.FilterRateLimit || f.Custom.Placement != ir.PlaceBefore || f.RootID != "auth_root" {
		t.Errorf("auth filter: %+v", f)
	}
	if _, ok := filters[translate.WasmFilterName("apps", "broken-closed")]; ok {
		t.Errorf("a filter whose module failed must not reach the IR")
	}
}
