package wasmtest

import (
	"fmt"
	"testing"
	"time"
)

// Config starts one plugin the way Envoy's Wasm filter config does.
type Config struct {
	// Name is plugin_name (the filter config's name); RootID is root_id.
	Name   string
	RootID string
	// VMID and VMConfig are vm_config.vm_id and vm_config.configuration.
	VMID     string
	VMConfig []byte
	// VMEnv is the VM's environment (VMConfig.Env): what Envoy's
	// vm_config.environment_variables gives the module.
	VMEnv map[string]string
	// Configuration is the plugin configuration, read by proxy_on_configure.
	Configuration []byte
}

// Plugin is one root context: a plugin configuration started in a VM.
type Plugin struct {
	vm  *VM
	cfg Config
	id  uint32 // root context id

	tickPeriod time.Duration
	nextTick   time.Time

	self Chain // the chain of this plugin alone, for Do

	stopping bool // proxy_on_done was called
	deleted  bool // proxy_on_delete was called
}

// Start instantiates the module at wasmPath in a VM of its own and starts one
// plugin in it (Envoy's sequence: _initialize, proxy_on_context_create for
// the root context, proxy_on_vm_start with the VM configuration,
// proxy_on_configure with the plugin configuration). A failure is a
// *StartError carrying the guest's log lines.
func (h *Host) Start(wasmPath string, cfg Config) (*Plugin, error) {
	vm, err := h.NewVM(wasmPath, VMConfig{ID: cfg.VMID, Configuration: cfg.VMConfig, Env: cfg.VMEnv})
	if err != nil {
		return nil, err
	}
	p, err := vm.Start(cfg)
	if err != nil {
		vm.Close()
		return nil, err
	}
	return p, nil
}

// MustStart is Start that fails tb on error and closes the VM when the test
// ends.
func (h *Host) MustStart(tb testing.TB, wasmPath string, cfg Config) *Plugin {
	tb.Helper()
	p, err := h.Start(wasmPath, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.vm.Close)
	return p
}

// Start creates a root context for cfg in this VM (plugins with identical VM
// configuration share a VM in Envoy, each with its own root context) and runs
// proxy_on_vm_start and proxy_on_configure in it. cfg.VMID, cfg.VMConfig
// and cfg.VMEnv are ignored: they are the VM's.
func (vm *VM) Start(cfg Config) (*Plugin, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	cfg.VMID, cfg.VMConfig, cfg.VMEnv = vm.cfg.ID, vm.cfg.Configuration, vm.cfg.Env
	p := &Plugin{vm: vm, cfg: cfg, id: vm.newContextID()}
	p.self.plugins = []*Plugin{p}
	vm.plugins[p.id] = p

	steps := []struct {
		stage string
		call  func() (uint32, error)
		check bool
	}{
		{"proxy_on_context_create", func() (uint32, error) { return vm.call(vm.fn.contextCreate, p.id, p.id, 0) }, false},
		{"proxy_on_vm_start", func() (uint32, error) {
			return vm.call(vm.fn.vmStart, p.id, p.id, uint32(len(vm.cfg.Configuration)))
		}, true},
		{"proxy_on_configure", func() (uint32, error) {
			vm.configuring = p
			defer func() { vm.configuring = nil }()
			return vm.call(vm.fn.configure, p.id, p.id, uint32(len(cfg.Configuration)))
		}, true},
	}
	for _, s := range steps {
		ok, err := s.call()
		vm.runPending()
		if err == nil && s.check && ok == 0 {
			err = fmt.Errorf("%s returned false", s.stage)
		}
		if err == nil && vm.phase == phaseFailed {
			err = vm.failure
		}
		if err != nil {
			delete(vm.plugins, p.id)
			return nil, vm.startError(s.stage, err)
		}
	}
	return p, nil
}

// Name is plugin_name.
func (p *Plugin) Name() string { return p.cfg.Name }

// VM is the VM the plugin runs in.
func (p *Plugin) VM() *VM { return p.vm }

// Host is the host the plugin runs on.
func (p *Plugin) Host() *Host { return p.vm.host }

// ContextID is the root context id.
func (p *Plugin) ContextID() uint32 { return p.id }

// Logs returns the log lines of this plugin's contexts plus the VM's own
// output (fd 1/2 writes outside any plugin context), in order.
func (p *Plugin) Logs() []LogEntry {
	var out []LogEntry
	for _, e := range p.vm.Logs() {
		if e.Plugin == p.cfg.Name || e.Plugin == "" {
			out = append(out, e)
		}
	}
	return out
}

// LogsAt returns the messages this plugin logged at level.
func (p *Plugin) LogsAt(level LogLevel) []string {
	var out []string
	for _, e := range p.Logs() {
		if e.Level == level {
			out = append(out, e.Message)
		}
	}
	return out
}

// TickPeriod is the period the plugin set with
// proxy_set_tick_period_milliseconds (0: no ticks).
func (p *Plugin) TickPeriod() time.Duration {
	p.vm.mu.Lock()
	defer p.vm.mu.Unlock()
	return p.tickPeriod
}

func (p *Plugin) tickDue() (time.Time, bool) {
	p.vm.mu.Lock()
	defer p.vm.mu.Unlock()
	if p.tickPeriod <= 0 || p.vm.phase != phaseRunning {
		return time.Time{}, false
	}
	return p.nextTick, true
}

func (p *Plugin) setTickPeriod(d time.Duration) {
	p.tickPeriod = d
	if d > 0 {
		p.nextTick = p.vm.host.Now().Add(d)
	}
}

// fireTick calls proxy_on_tick and re-arms the timer from the tick's instant.
func (p *Plugin) fireTick(at time.Time) {
	vm := p.vm
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if p.tickPeriod > 0 {
		p.nextTick = at.Add(p.tickPeriod)
	}
	vm.call(vm.fn.tick, p.id, p.id)
	vm.runPending()
}

// Tick calls proxy_on_tick on the plugin's root context now, whatever its
// period (Advance is the faithful way; Tick is for focused tests).
func (p *Plugin) Tick() error {
	vm := p.vm
	vm.mu.Lock()
	defer vm.mu.Unlock()
	_, err := vm.call(vm.fn.tick, p.id, p.id)
	vm.runPending()
	return err
}

// Stop ends the root context as Envoy does when a plugin is removed:
// proxy_on_done, then proxy_on_delete once the plugin agrees (on_done
// returned true, or it later calls proxy_done). Stopped reports when that
// happened.
func (p *Plugin) Stop() error {
	vm := p.vm
	vm.mu.Lock()
	defer vm.mu.Unlock()
	p.stopping = true
	done, err := vm.call(vm.fn.done, p.id, p.id)
	if err == nil && done != 0 {
		err = p.deleteLocked()
	}
	vm.runPending()
	return err
}

// Stopped reports whether the root context has been deleted.
func (p *Plugin) Stopped() bool {
	p.vm.mu.Lock()
	defer p.vm.mu.Unlock()
	return p.deleted
}

func (p *Plugin) deleteLocked() error {
	if p.deleted {
		return nil
	}
	p.deleted = true
	p.tickPeriod = 0
	_, err := p.vm.call(p.vm.fn.delete, p.id, p.id)
	delete(p.vm.plugins, p.id)
	return err
}

// CallExport calls an exported function of the module by name with i32
// arguments and returns its first result (0 if it has none), with the
// first argument taken as the context for host calls. It is for tests of
// the ABI surface itself (L4 and metadata callbacks, which wasmtest's
// exchanges do not drive).
func (vm *VM) CallExport(name string, args ...uint32) (uint32, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	fn := vm.mod.ExportedFunction(name)
	if fn == nil {
		return 0, fmt.Errorf("wasmtest: module does not export %s", name)
	}
	var ctxID uint32
	if len(args) > 0 {
		ctxID = args[0]
	}
	for i := range vm.stack {
		vm.stack[i] = 0
	}
	r, err := vm.call(fn, ctxID, args...)
	vm.runPending()
	return r, err
}

// NewContextID reserves a context id in the VM, for CallExport tests that
// create contexts themselves with proxy_on_context_create.
func (vm *VM) NewContextID() uint32 {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.newContextID()
}
