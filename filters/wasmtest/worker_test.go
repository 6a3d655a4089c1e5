package wasmtest_test

import (
	"testing"

	"wasp.dev/filters/config"
	"wasp.dev/filters/wasmtest"
)

// TestWorkerSharesVMsByEnvoysKey: plugins with the same vm_id, VM
// configuration and code run in one VM of a worker, each in its own root
// context; a different vm_id or VM configuration gets a VM of its own, and a
// second worker has its own VMs.
func TestWorkerSharesVMsByEnvoysKey(t *testing.T) {
	wasm := wasmtest.Build(t, "../builtin")
	h := wasmtest.NewHost()
	w := h.NewWorker()
	start := func(w *wasmtest.Worker, rootID, vmID, vmConfig string) *wasmtest.Plugin {
		t.Helper()
		return w.MustStart(t, wasm, wasmtest.Config{Name: "wasp." + rootID, RootID: rootID, VMID: vmID,
			VMConfig: []byte(vmConfig), Configuration: []byte(`{}`)})
	}
	al := start(w, config.RootIDAccessLog, config.BuiltinModule, "")
	rl := start(w, config.RootIDRateLimit, config.BuiltinModule, "")
	tr := start(w, config.RootIDTransform, config.BuiltinModule, "")
	if al.VM() != rl.VM() || rl.VM() != tr.VM() {
		t.Fatal("three plugins with one VM key run in different VMs")
	}
	if al.ContextID() == rl.ContextID() || rl.ContextID() == tr.ContextID() {
		t.Fatal("plugins sharing a VM share a root context")
	}
	if n := len(w.VMs()); n != 1 {
		t.Fatalf("worker has %d VMs, want 1", n)
	}
	if other := start(w, config.RootIDRateLimit, "other", ""); other.VM() == rl.VM() {
		t.Fatal("a different vm_id reused the VM")
	}
	if other := start(w, config.RootIDRateLimit, config.BuiltinModule, "x"); other.VM() == rl.VM() {
		t.Fatal("a different VM configuration reused the VM")
	}
	if n := len(w.VMs()); n != 3 {
		t.Fatalf("worker has %d VMs, want 3", n)
	}
	if second := start(h.NewWorker(), config.RootIDRateLimit, config.BuiltinModule, ""); second.VM() == rl.VM() {
		t.Fatal("a second worker reused the first worker's VM")
	}
	res := wasmtest.NewChain(al, rl, tr).Do(wasmtest.Request{Path: "/"}, nil)
	if res.Status() != 200 || len(res.Errors) > 0 {
		t.Fatalf("chain of three plugins in one VM: status %d, errors %v", res.Status(), res.Errors)
	}
}
