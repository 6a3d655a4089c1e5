package accesslog

import (
	"fmt"
	"os"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/accesslog/logfilter"
	"wasp.dev/filters/config"
)

// hostnameEnv is the environment variable %HOSTNAME% prints. The translator
// passes it to the VM (vm_config.environment_variables.host_env_keys); in a
// pod it is the pod name, which is what Envoy's own %HOSTNAME% prints there.
const hostnameEnv = "HOSTNAME"

// entry is one compiled accessLog entry.
type entry struct {
	index  int
	key    string // the filter-state name of the line (file sinks)
	format *format.Format
	filter *logfilter.Filter
	otlp   *otlpSink // nil for a file sink
}

// policy is one compiled AccessLogPolicy.
type policy struct{ entries []entry }

type plugin struct {
	types.DefaultPluginContext
	policies map[string]*policy
	routes   map[string]string // route name -> policy key; empty: always def
	def      *policy
	hostname string
	sinks    []*otlpSink
	line     []byte // the line buffer, reused (the host copies lines)
	src      requestSource
	free     []*httpContext // ended stream contexts, for reuse
}

func (p *plugin) NewHttpContext(uint32) types.HttpContext {
	if n := len(p.free); n > 0 {
		h := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		return h
	}
	return &httpContext{plugin: p}
}

// OnPluginStart parses and compiles the configuration once. A bad format or
// filter fails the start with a message naming it (the controller runs the
// same checks, so this only catches a config that bypassed it).
func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	data, err := proxywasm.GetPluginConfiguration()
	if err != nil && err != types.ErrorStatusNotFound {
		proxywasm.LogCriticalf("accesslog: reading plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	if err := p.configure(data); err != nil {
		proxywasm.LogCriticalf("accesslog: %v", err)
		return types.OnPluginStartStatusFailed
	}
	return types.OnPluginStartStatusOK
}

func (p *plugin) configure(data []byte) error {
	cfg, err := config.ParseAccessLogPlugin(data)
	if err != nil {
		return err
	}
	p.hostname = os.Getenv(hostnameEnv)
	p.policies = map[string]*policy{}
	for key, pol := range cfg.Policies {
		compiled, err := p.compile(&pol)
		if err != nil {
			return fmt.Errorf("policy %q: %w", key, err)
		}
		p.policies[key] = compiled
	}
	p.def = p.policies[cfg.Default]
	p.routes = cfg.Routes
	if len(p.sinks) > 0 {
		if err := proxywasm.SetTickPeriodMilliSeconds(minFlushInterval(p.sinks)); err != nil {
			return fmt.Errorf("setting the OTLP flush tick: %w", err)
		}
		defineOTLPMetrics()
	}
	return nil
}

func (p *plugin) compile(pol *config.AccessLogPolicy) (*policy, error) {
	out := &policy{}
	for i := range pol.AccessLog {
		a := &pol.AccessLog[i]
		f, err := a.ParseFormat()
		if err != nil {
			return nil, fmt.Errorf("accessLog[%d]: %w", i, err)
		}
		flt, err := logfilter.Compile(a.Filter, pol.HealthCheckPaths)
		if err != nil {
			return nil, fmt.Errorf("accessLog[%d] filter: %w", i, err)
		}
		e := entry{index: i, key: config.AccessLogLineKey(i), format: f, filter: flt}
		if a.OpenTelemetry != nil {
			s, err := newOTLPSink(a)
			if err != nil {
				return nil, fmt.Errorf("accessLog[%d]: %w", i, err)
			}
			e.otlp = s
			p.sinks = append(p.sinks, s)
		}
		out.entries = append(out.entries, e)
	}
	return out, nil
}

// policyFor picks the request's policy: the listener-wide default, unless
// the translator mapped routes.
func (p *plugin) policyFor(src *requestSource) *policy {
	if len(p.routes) == 0 {
		return p.def
	}
	route, _ := src.String(format.RouteName)
	if key, ok := p.routes[route]; ok {
		return p.policies[key]
	}
	return p.def
}

// OnTick sends one batch per OTLP sink.
func (p *plugin) OnTick() {
	for _, s := range p.sinks {
		s.flush()
	}
}
