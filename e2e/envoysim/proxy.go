package envoysim

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/types/known/anypb"

	"wasp.dev/filters/wasmtest"
)

// Options configure a Proxy.
type Options struct {
	// Host is the Envoy process the plugins run in (shared data, clock,
	// logs). Pass the same Host to the Proxy built from a config update so
	// state survives as it does across an Envoy config change; nil means a
	// new Host that Close also closes.
	Host *wasmtest.Host
	// Fetcher gets the Wasm code the xDS names.
	Fetcher *Fetcher
	// Seed makes request ids and weighted-cluster picks reproducible.
	Seed uint64
	// HostEnv is the Envoy process environment: the values a Wasm VM's
	// vm_config.environment_variables.host_env_keys read. A key it lacks
	// is left out of the VM's environment, as Envoy does.
	HostEnv map[string]string
}

// Proxy is one Envoy proxy running a node's xDS resources.
type Proxy struct {
	ix       *index
	host     *wasmtest.Host
	ownsHost bool
	hcms     map[string]*hcmRuntime // by listener name + "/" + filter chain name
	// worker holds the VMs: the simulation is one Envoy worker, and
	// plugins with the same VM key (vm_id, VM configuration, code) share
	// one VM in it, as in Envoy.
	worker  *wasmtest.Worker
	mu      sync.Mutex
	rng     *rand.Rand
	hostEnv map[string]string
}

// hcmRuntime is one HTTP connection manager with its plugins started.
type hcmRuntime struct {
	hcm     *hcmv3.HttpConnectionManager
	plugins []*plugin
	loggers []*fileLogger
}

// New validates the resources and starts every connection manager's Wasm
// plugins, as Envoy does while a listener warms: the code is fetched and
// checked, VMs are created (shared by identical vm_id, VM configuration
// and code) and each plugin's root context is configured.
func New(ctx context.Context, res *Resources, opts Options) (*Proxy, error) {
	if err := res.Validate(); err != nil {
		return nil, err
	}
	ix, err := newIndex(res)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ix: ix, host: opts.Host, hcms: map[string]*hcmRuntime{},
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), hostEnv: opts.HostEnv}
	if p.host == nil {
		p.host, p.ownsHost = wasmtest.NewHost(), true
	}
	p.worker = p.host.NewWorker()
	fetcher := opts.Fetcher
	if fetcher == nil {
		fetcher = &Fetcher{}
	}
	for _, l := range ix.listeners {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				if f.GetTypedConfig().GetTypeUrl() != hcmTypeURL {
					continue
				}
				hcm := &hcmv3.HttpConnectionManager{}
				if err := f.GetTypedConfig().UnmarshalTo(hcm); err != nil {
					p.Close()
					return nil, err
				}
				rt, err := p.startHCM(ctx, hcm, fetcher)
				if err != nil {
					p.Close()
					return nil, fmt.Errorf("listener %q filter chain %q: %w", l.GetName(), fc.GetName(), err)
				}
				p.hcms[l.GetName()+"/"+fc.GetName()] = rt
			}
		}
	}
	return p, nil
}

func (p *Proxy) startHCM(ctx context.Context, hcm *hcmv3.HttpConnectionManager, fetcher *Fetcher) (*hcmRuntime, error) {
	rt := &hcmRuntime{hcm: hcm}
	filters := hcm.GetHttpFilters()
	for i, f := range filters {
		url := f.GetTypedConfig().GetTypeUrl()
		if f.GetConfigDiscovery() != nil {
			return nil, fmt.Errorf("HTTP filter %q uses ECDS, which is not modelled", f.GetName())
		}
		switch url {
		case routerTypeURL:
			if i != len(filters)-1 {
				return nil, fmt.Errorf("router filter %q is not last (Envoy rejects the config)", f.GetName())
			}
			continue
		case wasmTypeURL:
		default:
			return nil, fmt.Errorf("HTTP filter %q (%s) is not modelled", f.GetName(), url)
		}
		cfg, err := decodeWasmFilter(f.GetTypedConfig())
		if err != nil {
			return nil, fmt.Errorf("HTTP filter %q: %w", f.GetName(), err)
		}
		pl, err := p.startPlugin(ctx, f.GetName(), f.GetDisabled(), cfg, fetcher)
		if err != nil {
			return nil, fmt.Errorf("HTTP filter %q: %w", f.GetName(), err)
		}
		rt.plugins = append(rt.plugins, pl)
	}
	if len(filters) == 0 || filters[len(filters)-1].GetTypedConfig().GetTypeUrl() != routerTypeURL {
		return nil, errors.New("HTTP filter chain does not end with the router")
	}
	for _, al := range hcm.GetAccessLog() {
		fl, err := newFileLogger(al)
		if err != nil {
			return nil, err
		}
		rt.loggers = append(rt.loggers, fl)
	}
	return rt, nil
}

func (p *Proxy) startPlugin(ctx context.Context, filterName string, disabled bool, cfg *wasmv3.PluginConfig, fetcher *Fetcher) (*plugin, error) {
	vmc := cfg.GetVmConfig()
	path, source, sum, err := fetcher.code(ctx, vmc.GetCode(), p.ix)
	if err != nil {
		return nil, err
	}
	vmConf, err := anyBytes(vmc.GetConfiguration())
	if err != nil {
		return nil, fmt.Errorf("vm_config.configuration: %w", err)
	}
	plugConf, err := anyBytes(cfg.GetConfiguration())
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	env, err := vmEnv(vmc.GetEnvironmentVariables(), p.hostEnv)
	if err != nil {
		return nil, fmt.Errorf("plugin %q: %w", cfg.GetName(), err)
	}
	running, err := p.worker.Start(path, wasmtest.Config{Name: cfg.GetName(), RootID: cfg.GetRootId(),
		VMID: vmc.GetVmId(), VMConfig: vmConf, VMEnv: env, Configuration: plugConf})
	if err != nil {
		var start *wasmtest.StartError
		if errors.As(err, &start) && start.Stage == "_initialize" {
			return nil, fmt.Errorf("starting the VM for %s: %w", source, err)
		}
		return nil, fmt.Errorf("plugin %q: %w", cfg.GetName(), err)
	}
	return &plugin{filterName: filterName, disabledByDefault: disabled, cfg: cfg, CodeSource: source, CodeSHA256: sum, running: running}, nil
}

// Close stops the VMs this proxy started (and its Host if it made it).
func (p *Proxy) Close() {
	p.worker.Close()
	if p.ownsHost {
		p.host.Close()
	}
}

// Host is the Envoy process the plugins run in: advance its clock to let
// token buckets refill.
func (p *Proxy) Host() *wasmtest.Host { return p.host }

// Plugins lists the Wasm filters of every connection manager, by
// "<listener>/<filter chain>", in filter order.
func (p *Proxy) Plugins() map[string][]Plugin {
	out := map[string][]Plugin{}
	for name, rt := range p.hcms {
		for _, pl := range rt.plugins {
			conf, _ := anyBytes(pl.cfg.GetConfiguration())
			out[name] = append(out[name], Plugin{
				FilterName: pl.filterName, PluginName: pl.cfg.GetName(), RootID: pl.cfg.GetRootId(),
				VMID: pl.cfg.GetVmConfig().GetVmId(), FailurePolicy: pl.cfg.GetFailurePolicy().String(),
				DisabledByDefault: pl.disabledByDefault, CodeSource: pl.CodeSource, CodeSHA256: pl.CodeSHA256,
				Configuration: conf,
			})
		}
	}
	return out
}

// Request is what a client sends, and where the connection arrived.
type Request struct {
	// ListenerPort is the port the connection reached: 15088 for a
	// waypoint, the Gateway listener's port for an ingress.
	ListenerPort uint32
	// Destination is the connection's destination: for a waypoint the one
	// the PROXY protocol header restores (Service VIP and port); for an
	// ingress it defaults to [::]:ListenerPort.
	Destination netip.AddrPort
	// Source is the client address (default 10.0.0.1:45678).
	Source netip.AddrPort

	// TLS, when set, makes the client speak TLS with this SNI and ALPN
	// (an HTTPS listener); nil is plaintext.
	TLS *ClientTLS

	Method, Path, Authority, Scheme string
	Headers                         [][2]string
	Body                            []byte

	// UpstreamLatency is how long the upstream takes to answer: past the
	// route timeout the router answers 504 (flag UT) instead.
	UpstreamLatency time.Duration
}

// UpstreamCall is a request the router sends to an upstream host.
type UpstreamCall struct {
	*wasmtest.UpstreamRequest
	Cluster  string
	Endpoint string
}

// Upstream answers requests that reach an upstream host; nil answers 200.
type Upstream func(*UpstreamCall) *wasmtest.Response

// Exchange is the outcome of one request.
type Exchange struct {
	Listener, FilterChain, RouteConfig, VirtualHost, Route string
	// TLS is the downstream handshake on an HTTPS listener (nil: plaintext).
	TLS *TLSResult
	// InitialRoute is the route matched when the request arrived: the
	// filter chain was created on it (per-route enable/disable) and the
	// Wasm filters read it as xds.route_name until the router runs. Route
	// is the router's route: another one when a filter changed the request
	// headers and the route cache was cleared (see reselect.go); it names
	// the access log's %ROUTE_NAME% and the xds.route_name Wasm filters
	// read after the router (on_log included), and VirtualHost, Action and
	// Cluster follow it.
	InitialRoute string
	Action       *Action
	// Cluster is the cluster the route picked (property xds.cluster_name);
	// Endpoint is the host the router sent the request to ("" if the
	// request never got there, e.g. a Wasm local reply).
	Cluster, Endpoint string
	// Plugins are the HTTP filter names that ran on the request, in order.
	Plugins []string
	// RequestID is the x-request-id (generated by the HCM when absent).
	RequestID string
	// ResponseFlags are Envoy's native flags ("-" when none): a Wasm local
	// reply cannot set them, so a Wasm rate limit shows none here.
	ResponseFlags string
	Result        *wasmtest.Result
	// AccessLog holds the native file access loggers' lines, in order.
	AccessLog []LogLine
}

// LogLine is one line a file access logger wrote.
type LogLine struct {
	Path string
	Line string
}

// Status is the status code the client got.
func (e *Exchange) Status() int { return e.Result.Status() }

// Do runs one request through the proxy.
func (p *Proxy) Do(req Request, upstream Upstream) (*Exchange, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dst := req.Destination
	if !dst.IsValid() {
		dst = netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(req.ListenerPort))
	}
	src := req.Source
	if !src.IsValid() {
		src = netip.MustParseAddrPort("10.0.0.1:45678")
	}
	sel, err := p.ix.selectChain(req.ListenerPort, dst, req.TLS)
	if err != nil {
		return nil, err
	}
	rt := p.hcms[sel.listener.GetName()+"/"+sel.chain.GetName()]
	if rt == nil {
		return nil, fmt.Errorf("filter chain %q was not started", sel.chain.GetName())
	}
	ex := &Exchange{Listener: sel.listener.GetName(), FilterChain: sel.chain.GetName(), ResponseFlags: "-", TLS: sel.tls}
	hr := &httpRequest{method: or(req.Method, "GET"), path: or(req.Path, "/"), authority: or(req.Authority, "example.com"), scheme: or(req.Scheme, "http")}
	for _, h := range req.Headers {
		hr.headers = append(hr.headers, [2]string{strings.ToLower(h[0]), h[1]})
	}
	// The HCM adds x-request-id before any filter runs (generate_request_id
	// defaults to true).
	if id, ok := hr.header("x-request-id"); ok {
		ex.RequestID = id
	} else {
		ex.RequestID = p.uuid()
		hr.headers = append(hr.headers, [2]string{"x-request-id", ex.RequestID})
	}

	rc, err := p.ix.routeConfigFor(rt.hcm)
	if err != nil {
		return nil, err
	}
	ex.RouteConfig = rc.GetName()
	var route *routev3.Route
	vh := selectVirtualHost(rc, rt.hcm, hr.authority)
	if vh != nil {
		ex.VirtualHost = vh.GetName()
		if route, err = selectRoute(vh, hr); err != nil {
			return nil, err
		}
	}
	props := map[string][]byte{
		"source.address":      wasmtest.PropString(src.String()),
		"source.port":         wasmtest.PropInt64(int64(src.Port())),
		"destination.address": wasmtest.PropString(dst.String()),
		"destination.port":    wasmtest.PropInt64(int64(dst.Port())),
	}
	var router func(*wasmtest.UpstreamRequest) *wasmtest.Response
	if route == nil {
		router = func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			ex.ResponseFlags = "NR"
			return &wasmtest.Response{Status: 404}
		}
	} else {
		ex.Route, ex.InitialRoute = route.GetName(), route.GetName()
		props["xds.route_name"] = wasmtest.PropString(route.GetName())
		props["xds.virtual_host_name"] = wasmtest.PropString(vh.GetName())
		if ex.Action, err = actionOf(route, hr); err != nil {
			return nil, err
		}
		if router, err = p.router(ex, req, upstream, vh, route); err != nil {
			return nil, err
		}
		if ex.Cluster != "" {
			props["xds.cluster_name"] = wasmtest.PropString(ex.Cluster)
		}
	}
	chain, err := rt.activePlugins(vh, route)
	if err != nil {
		return nil, err
	}
	var running []*wasmtest.Plugin
	for _, pl := range chain {
		running = append(running, pl.running)
		ex.Plugins = append(ex.Plugins, pl.filterName)
	}
	start := p.host.Now()
	wreq := wasmtest.Request{
		Method: hr.method, Path: hr.path, Authority: hr.authority, Scheme: hr.scheme,
		Headers: hr.headers, Body: req.Body, Properties: props,
	}
	var reselectErr error
	router = p.reselectingRouter(ex, req, upstream, rt, rc, hr, route, router, &reselectErr)
	if len(running) == 0 {
		ex.Result = noFilters(wreq, router)
	} else {
		ex.Result = wasmtest.NewChain(running...).Do(wreq, router)
	}
	if reselectErr != nil {
		return nil, fmt.Errorf("route re-selected after a filter changed the request headers: %w", reselectErr)
	}
	for _, fl := range rt.loggers {
		line, ok, err := fl.render(ex, hr, src, dst, start, int64(len(req.Body)))
		if err != nil {
			return nil, err
		}
		if ok {
			ex.AccessLog = append(ex.AccessLog, LogLine{Path: fl.path, Line: line})
		}
	}
	return ex, nil
}

// router is the router filter for a matched route: direct response,
// redirect, or an upstream cluster (which must be in CDS with a healthy
// endpoint in EDS, and answer within the route timeout).
func (p *Proxy) router(ex *Exchange, req Request, upstream Upstream, vh *routev3.VirtualHost, route *routev3.Route) (func(*wasmtest.UpstreamRequest) *wasmtest.Response, error) {
	act := ex.Action
	mut, err := headerMutationsOf(vh, route)
	if err != nil {
		return nil, err
	}
	switch {
	case act.DirectStatus != 0:
		return func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			return &wasmtest.Response{Status: act.DirectStatus, Body: []byte(act.DirectBody)}
		}, nil
	case act.RedirectStatus != 0:
		return func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			return &wasmtest.Response{Status: act.RedirectStatus, Headers: [][2]string{{"location", act.RedirectLocation}}}
		}, nil
	}
	wc, ok := pick(act.Clusters, p.rng.Uint64())
	if !ok {
		return func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			ex.ResponseFlags = "NC"
			return &wasmtest.Response{Status: 503}
		}, nil
	}
	ex.Cluster = wc.Name
	if _, ok := p.ix.clusters[wc.Name]; !ok {
		return func(*wasmtest.UpstreamRequest) *wasmtest.Response {
			ex.ResponseFlags = "NC"
			return &wasmtest.Response{Status: act.ClusterNotFoundStatus}
		}, nil
	}
	endpoint := p.ix.healthyEndpoint(wc.Name)
	return func(u *wasmtest.UpstreamRequest) *wasmtest.Response {
		if endpoint == "" {
			ex.ResponseFlags = "UH"
			return &wasmtest.Response{Status: 503, Body: []byte("no healthy upstream")}
		}
		ex.Endpoint = endpoint
		if act.Timeout > 0 && req.UpstreamLatency > act.Timeout {
			ex.ResponseFlags = "UT"
			return &wasmtest.Response{Status: 504, Body: []byte("upstream request timeout")}
		}
		// The router's own changes, in place: Result.Upstream is then what
		// the upstream host received.
		u.Headers = mut.request(mutate(rewrite(u.Headers, act), nil, wc.headers))
		var resp *wasmtest.Response
		if upstream != nil {
			resp = upstream(&UpstreamCall{UpstreamRequest: u, Cluster: wc.Name, Endpoint: endpoint})
		}
		if resp == nil {
			resp = &wasmtest.Response{Status: 200}
		}
		resp.Headers = mut.response(resp.Headers)
		return resp
	}, nil
}

// rewrite applies the route's path and host rewrites to the headers the
// router sends upstream.
func rewrite(h [][2]string, act *Action) [][2]string {
	out := make([][2]string, len(h))
	copy(out, h)
	for i, kv := range out {
		switch {
		case kv[0] == ":path" && act.PathRewrite != nil:
			out[i][1] = act.PathRewrite(kv[1])
		case kv[0] == ":authority" && act.HostRewrite != "":
			out[i][1] = act.HostRewrite
		}
	}
	return out
}

// activePlugins applies per-route enable/disable: an HCM filter marked
// disabled runs only where the route (or its virtual host) enables it with
// a FilterConfig, and a FilterConfig with disabled: true turns it off.
func (rt *hcmRuntime) activePlugins(vh *routev3.VirtualHost, r *routev3.Route) ([]*plugin, error) {
	var out []*plugin
	for _, pl := range rt.plugins {
		enabled := !pl.disabledByDefault
		for _, cfgs := range []map[string]*anypb.Any{vh.GetTypedPerFilterConfig(), r.GetTypedPerFilterConfig()} {
			a, ok := cfgs[pl.filterName]
			if !ok {
				continue
			}
			var fc routev3.FilterConfig
			if a.GetTypeUrl() != "type.googleapis.com/envoy.config.route.v3.FilterConfig" {
				return nil, fmt.Errorf("per-route config %s for Wasm filter %q: Envoy's Wasm filter has no per-route config", a.GetTypeUrl(), pl.filterName)
			}
			if err := a.UnmarshalTo(&fc); err != nil {
				return nil, err
			}
			enabled = !fc.GetDisabled()
		}
		if enabled {
			out = append(out, pl)
		}
	}
	return out, nil
}

// healthyEndpoint returns the first endpoint of the cluster that Envoy
// would send to (health UNKNOWN or HEALTHY), as "ip:port".
func (ix *index) healthyEndpoint(cluster string) string {
	c := ix.clusters[cluster]
	cla := c.GetLoadAssignment()
	if e, ok := ix.endpoints[cluster]; ok {
		cla = e
	}
	var all []string
	for _, le := range cla.GetEndpoints() {
		for _, lb := range le.GetLbEndpoints() {
			switch lb.GetHealthStatus().String() {
			case "UNKNOWN", "HEALTHY":
			default:
				continue
			}
			sa := lb.GetEndpoint().GetAddress().GetSocketAddress()
			if addr, err := netip.ParseAddr(sa.GetAddress()); err == nil {
				all = append(all, netip.AddrPortFrom(addr, uint16(sa.GetPortValue())).String())
			} else {
				all = append(all, sa.GetAddress()+":"+strconv.Itoa(int(sa.GetPortValue())))
			}
		}
	}
	if len(all) == 0 {
		return ""
	}
	sort.Strings(all)
	return all[0]
}

// noFilters runs an exchange with no Wasm filter: straight to the router.
func noFilters(req wasmtest.Request, router func(*wasmtest.UpstreamRequest) *wasmtest.Response) *wasmtest.Result {
	headers := [][2]string{{":method", req.Method}, {":path", req.Path}, {":authority", req.Authority}, {":scheme", req.Scheme}}
	headers = append(headers, req.Headers...)
	up := &wasmtest.UpstreamRequest{Headers: headers, Body: req.Body}
	resp := router(up)
	res := &wasmtest.Result{Upstream: up}
	status := resp.Status
	if status == 0 {
		status = 200
	}
	res.Response = wasmtest.ClientResponse{Status: status, Headers: append([][2]string{{":status", strconv.Itoa(status)}}, resp.Headers...), Body: resp.Body}
	return res
}

func (p *Proxy) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(p.rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
