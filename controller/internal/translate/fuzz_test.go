package translate_test

import (
	"os"
	"path/filepath"
	"testing"

	"wasp.dev/controller/internal/manifest"
	"wasp.dev/controller/internal/translate"
	"wasp.dev/xds/translator"
)

// FuzzIsolation feeds arbitrary manifests (Gateways, HTTPRoutes, policies,
// Services, EndpointSlices, WasmFilters, Istio objects: whatever the
// manifest loader decodes; seeded with every golden input and the seeds)
// through the controller's whole path: Kubernetes -> IR translation, then
// the xDS translation and validation of every proxy. Whatever user input
// does, it may only make objects fail on their own status: the proxies
// must always translate. It must never panic either.
func FuzzIsolation(f *testing.F) {
	ins, _ := filepath.Glob("testdata/*.in.yaml")
	seeds, _ := filepath.Glob(filepath.Join(seedsDir, "*", "*.yaml"))
	for _, in := range append(ins, seeds...) {
		b, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := manifest.Load("fuzz.yaml", data)
		if err != nil {
			return // not decodable: the API server would not store it either
		}
		out := translate.Translate(&res.Input, goldenOptions())
		for _, p := range out.IR.Proxies {
			if _, err := translator.Translate(p, translator.Options{}); err != nil {
				t.Fatalf("user input failed a whole proxy instead of one object's status: %v", err)
			}
		}
	})
}
