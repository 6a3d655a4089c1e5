package wasmtest_test

import (
	"slices"
	"strings"
	"testing"

	"wasp.dev/filters/wasmtest"
)

// envLines is what the environ test filter logs for one plugin start.
func envLines(p *wasmtest.Plugin) []string {
	var out []string
	for _, l := range p.LogsAt(wasmtest.LogInfo) {
		if len(l) > 4 && l[:4] == "env " {
			out = append(out, l)
		}
	}
	return out
}

func TestWasmVMEnvReachesModule(t *testing.T) {
	wasm := wasmtest.Build(t, "testdata/environ")
	h := wasmtest.NewHost()
	env := map[string]string{"HOSTNAME": "waypoint-7d9c", "MODE": "strict", "EMPTY": ""}
	p := h.MustStart(t, wasm, wasmtest.Config{Name: "environ", VMID: "environ", VMEnv: env})
	env["MODE"] = "changed after start" // the VM keeps its own copy
	want := []string{"env EMPTY=", "env HOSTNAME=waypoint-7d9c", "env MODE=strict", "env end"}
	if got := envLines(p); !slices.Equal(got, want) {
		t.Fatalf("module environment %q, want %q", got, want)
	}
	if got := p.VM().Env()["MODE"]; got != "strict" {
		t.Errorf("VM.Env MODE = %q", got)
	}
}

func TestWasmVMEnvEmptyByDefault(t *testing.T) {
	wasm := wasmtest.Build(t, "testdata/environ")
	p := wasmtest.NewHost().MustStart(t, wasm, wasmtest.Config{Name: "environ", VMID: "environ"})
	if got := envLines(p); !slices.Equal(got, []string{"env end"}) {
		t.Fatalf("module environment %q, want none (the test process's must not leak in)", got)
	}
}

// Env belongs to the VM, as in Envoy: a second plugin in the same VM sees
// the VM's environment whatever its own Config says.
func TestWasmVMEnvSharedByPluginsOfOneVM(t *testing.T) {
	wasm := wasmtest.Build(t, "testdata/environ")
	vm, err := wasmtest.NewHost().NewVM(wasm, wasmtest.VMConfig{ID: "environ", Env: map[string]string{"HOSTNAME": "first"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vm.Close)
	p, err := vm.Start(wasmtest.Config{Name: "second", VMEnv: map[string]string{"HOSTNAME": "ignored"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := envLines(p); !slices.Equal(got, []string{"env HOSTNAME=first", "env end"}) {
		t.Fatalf("second plugin's environment %q, want the VM's", got)
	}
}

func TestWasmVMEnvInvalidKeyFailsTheVM(t *testing.T) {
	wasm := wasmtest.Build(t, "testdata/environ")
	_, err := wasmtest.NewHost().NewVM(wasm, wasmtest.VMConfig{ID: "environ", Env: map[string]string{"A=B": "c"}})
	if err == nil {
		t.Fatal("a key holding '=' was accepted")
	}
	if !strings.Contains(err.Error(), "environ") {
		t.Fatalf("error %q does not name the environment", err)
	}
}
