package main

import (
	"errors"
	"strings"
	"testing"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// TestUnknownRootIDFailsStart: a plugin whose root_id names no built-in
// filter (or none) refuses to start with a critical log naming the known
// ones, instead of running as a filter nobody asked for.
func TestUnknownRootIDFailsStart(t *testing.T) {
	wasm := wasmtest.Build(t, ".")
	for _, rootID := range []string{"", "ratelimits"} {
		_, err := wasmtest.NewHost().Start(wasm, wasmtest.Config{Name: "wasp.x", RootID: rootID, VMID: config.BuiltinModule, Configuration: []byte(`{}`)})
		var start *wasmtest.StartError
		if !errors.As(err, &start) || start.Stage != "proxy_on_configure" {
			t.Fatalf("root_id %q: %v, want a failed proxy_on_configure", rootID, err)
		}
		if !strings.Contains(err.Error(), "want one of accesslog, ratelimit, transform") {
			t.Errorf("root_id %q: the error does not name the filters: %v", rootID, err)
		}
	}
}
