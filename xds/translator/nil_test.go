package translator

import (
	"encoding/json"
	"testing"

	"wasp.dev/xds/ir"
)

// TestNilEntriesDoNotPanic: JSON nulls in IR lists become nil pointers;
// they must give an error, not a panic.
func TestNilEntriesDoNotPanic(t *testing.T) {
	for _, in := range []string{
		`{"name":"a","kind":"ingress","listeners":[null]}`,
		`{"name":"a","kind":"ingress","listeners":[{"name":"l","port":1,"virtualHosts":[null]}]}`,
		`{"name":"a","kind":"ingress","listeners":[{"name":"l","port":1,"virtualHosts":[{"name":"v","routes":[null]}]}]}`,
		`{"name":"a","kind":"ingress","backends":[null]}`,
		`{"name":"a","kind":"ingress","backends":[{"name":"b","endpoints":[null]}]}`,
		`{"name":"a","kind":"ingress","wasmModules":[null],"wasmFilters":[null]}`,
		`{"name":"a","kind":"waypoint","waypoint":{"services":[null]}}`,
		`{"name":"a","kind":"waypoint","waypoint":{"services":[{"name":"s","addresses":["10.0.0.1"],"ports":[null]}]}}`,
		`{"name":"a","kind":"ingress","listeners":[{"name":"l","port":1,"virtualHosts":[{"name":"v","routes":[{"name":"r","backends":[null]}]}]}]}`,
		`{"name":"a","kind":"ingress","listeners":[{"name":"l","port":1,"virtualHosts":[{"name":"v","routes":[{"name":"r","directResponse":{"status":200},"mirrors":[null],"match":{"headers":[null],"queryParams":[null]}}]}]}]}`,
	} {
		var p ir.Proxy
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic: %v", in, r)
				}
			}()
			if _, err := Translate(&p, Options{}); err == nil {
				t.Errorf("%s: accepted", in)
			}
		}()
	}
}
