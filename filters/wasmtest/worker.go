package wasmtest

import (
	"crypto/sha256"
	"sync"
	"testing"
)

// Worker is one Envoy worker thread as far as VMs go: it keeps one VM per
// VM key and starts every plugin whose key matches in that VM, each with its
// own root context, as Envoy does. Envoy's key (proxy-wasm-cpp-host
// makeVmKey, called from Envoy's source/extensions/common/wasm/wasm.cc
// createWasm) is the sha256 of vm_id, vm_config.configuration and the code;
// the runtime and (in Envoy 1.33) the environment variables are not part of
// it, so a plugin differing only in those reuses the first one's VM. Start
// several Workers on one Host to model several worker threads (their VMs
// share the Host's shared data, queues, metrics and clock).
type Worker struct {
	host *Host

	mu  sync.Mutex
	vms map[[32]byte]*VM
}

// NewWorker returns a worker with no VMs yet.
func (h *Host) NewWorker() *Worker { return &Worker{host: h, vms: map[[32]byte]*VM{}} }

// VMKey is Envoy's VM key of a plugin: the sha256 of vm_id, VM
// configuration and code, concatenated without separators as Envoy does
// (the code enters as its sha256 here: the same identity, less hashing).
func VMKey(vmID string, vmConfiguration []byte, codeSHA256 [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(vmID))
	h.Write(vmConfiguration)
	h.Write(codeSHA256[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Start starts a plugin of the module at wasmPath in the worker's VM for
// its key, creating the VM (with cfg.VMEnv) if the worker has none yet.
func (w *Worker) Start(wasmPath string, cfg Config) (*Plugin, error) {
	cm, err := compile(wasmPath)
	if err != nil {
		return nil, err
	}
	key := VMKey(cfg.VMID, cfg.VMConfig, cm.sum)
	w.mu.Lock()
	defer w.mu.Unlock()
	vm := w.vms[key]
	if vm == nil {
		if vm, err = w.host.NewVM(wasmPath, VMConfig{ID: cfg.VMID, Configuration: cfg.VMConfig, Env: cfg.VMEnv}); err != nil {
			return nil, err
		}
		w.vms[key] = vm
	}
	return vm.Start(cfg)
}

// MustStart is Start that fails tb on error; the worker's VMs close when the
// test ends.
func (w *Worker) MustStart(tb testing.TB, wasmPath string, cfg Config) *Plugin {
	tb.Helper()
	p, err := w.Start(wasmPath, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(w.Close)
	return p
}

// VMs returns the worker's VMs (one per distinct VM key).
func (w *Worker) VMs() []*VM {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*VM, 0, len(w.vms))
	for _, vm := range w.vms {
		out = append(out, vm)
	}
	return out
}

// Close closes the worker's VMs.
func (w *Worker) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for key, vm := range w.vms {
		vm.Close()
		delete(w.vms, key)
	}
}
