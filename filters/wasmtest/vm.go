package wasmtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

// VMConfig identifies a VM as Envoy does: plugins whose vm_id, VM
// configuration and code are identical share one VM (one instance of the
// module) and each gets its own root context.
type VMConfig struct {
	// ID is the vm_id: the namespace of shared data and shared queues.
	ID string
	// Configuration is vm_config.configuration, read by proxy_on_vm_start.
	Configuration []byte
	// Env is the VM's environment (what os.Getenv reads in the module),
	// exposed through WASI environ_get as Envoy exposes
	// vm_config.environment_variables: the values of host_env_keys taken
	// from the Envoy process plus key_values. Pass the resolved values
	// here (wasmtest never reads the test process's environment). Every
	// plugin started in the VM sees this environment (see the package
	// documentation on Envoy's VM key).
	Env map[string]string
}

// vmPhase is where a VM is in its life, for Envoy's start-time restriction.
type vmPhase int

const (
	phaseInitializing vmPhase = iota // _initialize: only proxy_log allowed
	phaseRunning
	phaseFailed
)

type vmKey struct{}

// VM is one instance of a module, as one Envoy worker (or the main thread's
// canary) holds it. It hosts the root contexts of the plugins that share it
// and the stream contexts of the exchanges that run through them. Calls into
// one VM are serialised.
type VM struct {
	host     *Host
	cfg      VMConfig
	wasmPath string
	codeSum  [32]byte

	mu    sync.Mutex // serialises guest calls
	ctx   context.Context
	mod   api.Module
	mem   api.Memory
	fn    exports
	stack [8]uint64 // arguments/results of the outermost guest call
	alloc [2]uint64 // arguments/results of proxy_on_memory_allocate (nested)

	phase   vmPhase
	failure error
	depth   int

	nextContextID uint32
	plugins       map[uint32]*Plugin      // root context id -> plugin
	streams       map[uint32]*filterCtx   // stream context id -> filter
	active        uint32                  // context the host called into
	effective     uint32                  // after proxy_set_effective_context
	pending       []func()                // work after the outermost call returns
	httpCalls     map[uint32]*pendingHTTP // token -> call in flight
	nextHTTPToken uint32

	scratch []byte // reused serialisation buffer for host -> guest copies

	configuring  *Plugin       // during proxy_on_configure: its configuration is readable
	callResponse *callResponse // during proxy_on_http_call_response
	callData     []byte        // during proxy_on_foreign_function

	logMu sync.Mutex // logs are written during guest calls, under vm.mu
	logs  []LogEntry
}

// NewVM instantiates the module at wasmPath (compiled once per process) and
// runs its _initialize with Envoy's restriction: any proxy_* call other than
// proxy_log fails the load.
func (h *Host) NewVM(wasmPath string, cfg VMConfig) (*VM, error) {
	cm, err := compile(wasmPath)
	if err != nil {
		return nil, err
	}
	cfg.Env = maps.Clone(cfg.Env) // the caller may reuse its map
	vm := &VM{
		host:          h,
		cfg:           cfg,
		wasmPath:      wasmPath,
		codeSum:       cm.sum,
		nextContextID: 1,
		plugins:       map[uint32]*Plugin{},
		streams:       map[uint32]*filterCtx{},
		httpCalls:     map[uint32]*pendingHTTP{},
		nextHTTPToken: 1,
	}
	vm.ctx = context.WithValue(context.Background(), vmKey{}, vm)

	rt, _ := sharedRuntime()
	seed := rand.NewChaCha8([32]byte{'w', 'a', 's', 'p'})
	modCfg := wazero.NewModuleConfig().
		WithName(""). // anonymous: many instances of one module may coexist
		WithStartFunctions().
		WithStdout(&logWriter{vm: vm, level: LogInfo}).
		WithStderr(&logWriter{vm: vm, level: LogError}).
		WithWalltime(func() (int64, int32) {
			t := h.Now()
			return t.Unix(), int32(t.Nanosecond())
		}, 1).
		WithNanotime(h.monotonicNanos, 1).
		WithRandSource(seed)
	modCfg = withEnv(modCfg, cfg.Env)
	mod, err := rt.InstantiateModule(vm.ctx, cm.mod, modCfg)
	if err != nil {
		return nil, fmt.Errorf("wasmtest: instantiating %s: %w", wasmPath, err)
	}
	vm.mod = mod
	vm.mem = mod.Memory()
	if err := vm.fn.resolve(mod); err != nil {
		mod.Close(vm.ctx)
		return nil, err
	}

	vm.phase = phaseInitializing
	if init := mod.ExportedFunction("_initialize"); init != nil {
		if err := vm.callRaw(init, 0); err != nil {
			mod.Close(vm.ctx)
			return nil, vm.startError("_initialize", err)
		}
	}
	if vm.phase == phaseFailed {
		mod.Close(vm.ctx)
		return nil, vm.startError("_initialize", vm.failure)
	}
	vm.phase = phaseRunning
	h.addVM(vm)
	return vm, nil
}

// ID is the VM's vm_id.
func (vm *VM) ID() string { return vm.cfg.ID }

// Host is the host the VM runs on.
func (vm *VM) Host() *Host { return vm.host }

// MemorySize is the size of the guest's linear memory in bytes (it only
// grows; a leak shows as growth under a steady load).
func (vm *VM) MemorySize() uint32 {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.mem.Size()
}

// Failed reports the error that failed the VM (a trap, a panic, a
// restricted call), or nil.
func (vm *VM) Failed() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.phase == phaseFailed {
		return vm.failure
	}
	return nil
}

// Close releases the module instance. Envoy never calls proxy_on_done for
// root contexts on a VM it tears down with the process; Close does not either.
func (vm *VM) Close() {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.mod != nil {
		vm.mod.Close(vm.ctx)
		vm.mod = nil
	}
	vm.host.removeVM(vm)
}

// Logs returns the log lines of this VM (all its plugins), in order.
func (vm *VM) Logs() []LogEntry {
	vm.logMu.Lock()
	defer vm.logMu.Unlock()
	return append([]LogEntry(nil), vm.logs...)
}

func (vm *VM) addLog(e LogEntry) {
	e.VMID = vm.cfg.ID
	vm.logMu.Lock()
	vm.logs = append(vm.logs, e)
	vm.logMu.Unlock()
	vm.host.addLog(e)
}

// fail marks the VM failed, as Envoy does after a trap or a restricted call:
// every later call into it is refused.
func (vm *VM) fail(err error) {
	if vm.phase != phaseFailed {
		vm.phase = phaseFailed
		vm.failure = err
	}
}

// callRaw calls fn with vm.stack as arguments and results. The caller holds
// vm.mu (or is the constructor).
func (vm *VM) callRaw(fn api.Function, nargs int) error {
	if vm.phase == phaseFailed {
		return vm.failure
	}
	vm.depth++
	err := fn.CallWithStack(vm.ctx, vm.stack[:])
	vm.depth--
	_ = nargs
	if err != nil {
		var exit *sys.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("module exited with code %d", exit.ExitCode())
		}
		vm.fail(err)
		return err
	}
	if vm.phase == phaseFailed {
		return vm.failure
	}
	return nil
}

// call invokes an exported callback for context ctxID with up to five i32
// arguments and returns its first result. The host-call state (which context
// is active and effective) is set for the call and restored after it.
func (vm *VM) call(fn api.Function, ctxID uint32, args ...uint32) (uint32, error) {
	if fn == nil {
		return 0, nil // callback not exported: Envoy treats it as a no-op
	}
	prevActive, prevEffective := vm.active, vm.effective
	vm.active, vm.effective = ctxID, ctxID
	for i, a := range args {
		vm.stack[i] = uint64(a)
	}
	err := vm.callRaw(fn, len(args))
	vm.active, vm.effective = prevActive, prevEffective
	if err != nil {
		return 0, err
	}
	return uint32(vm.stack[0]), nil
}

// runPending runs the work queued by host calls of the call that just
// returned (deferred local replies, continues, async deliveries). It runs
// with vm.mu held and may call into the VM again.
func (vm *VM) runPending() {
	for len(vm.pending) > 0 {
		work := vm.pending[0]
		vm.pending[0] = nil
		vm.pending = vm.pending[1:]
		work()
	}
	vm.pending = vm.pending[:0]
}

func (vm *VM) newContextID() uint32 {
	id := vm.nextContextID
	vm.nextContextID++
	return id
}

// startError wraps a start failure with the guest's log lines, which usually
// say why (a panic message on fd 2, a proxy_log from on_configure).
func (vm *VM) startError(stage string, err error) error {
	return &StartError{Stage: stage, Err: err, Logs: vm.Logs()}
}

// StartError is returned when a VM or plugin fails to start; Logs holds what
// the guest logged, which usually says why.
type StartError struct {
	Stage string // "_initialize", "proxy_on_vm_start", "proxy_on_configure"
	Err   error
	Logs  []LogEntry
}

func (e *StartError) Error() string {
	msg := fmt.Sprintf("wasmtest: plugin failed to start in %s", e.Stage)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	for _, l := range e.Logs {
		msg += "\n\t" + l.String()
	}
	return msg
}

func (e *StartError) Unwrap() error { return e.Err }

func (vm *VM) pluginsInOrder() []*Plugin {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	out := make([]*Plugin, 0, len(vm.plugins))
	for id := uint32(1); id < vm.nextContextID; id++ {
		if p, ok := vm.plugins[id]; ok {
			out = append(out, p)
		}
	}
	return out
}

// GuestMallocs returns the number of heap objects the guest's Go runtime
// has allocated so far, through the wasp_guest_mallocs export of wasp's
// bridge (filters/abi); ok is false for a module without it. The difference
// across a run divided by the requests is the guest allocations per
// request.
func (vm *VM) GuestMallocs() (n uint64, ok bool) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	fn := vm.mod.ExportedFunction("wasp_guest_mallocs")
	if fn == nil {
		return 0, false
	}
	res, err := fn.Call(vm.ctx)
	if err != nil || len(res) != 1 {
		return 0, false
	}
	return res[0], true
}
