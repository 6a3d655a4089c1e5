package translator

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"

	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"wasp.dev/xds/ir"
)

var routerFilter = &hcmv3.HttpFilter{
	Name:       routerFilterName,
	ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustPack(&routerv3.Router{})},
}

// hcm builds the HTTP connection manager serving route configuration rds
// (fetched over ADS), for the given routes (needed to configure the Wasm
// filters for exactly those routes). The HTTP filter chain is, in order:
//
//  1. authorization (waypoint RBAC, wasp.dev/xds/authz): a denied request
//     costs no Wasm call and no rate-limit token;
//  2. Wasm filters in filterOrder: accesslog, ratelimit, transform, custom
//     (the access log's on_log runs for every request the HCM handles,
//     denied ones included, whatever its position);
//  3. the router.
func (t *translation) hcm(statPrefix, rds string, routes []*ir.Route, s *ir.HTTPSettings, authz []*hcmv3.HttpFilter) (*hcmv3.HttpConnectionManager, error) {
	filters, err := t.wasm.httpFilters(t.opts.WasmAttachment, routes)
	if err != nil {
		return nil, err
	}
	logs, err := t.accessLoggers(routes)
	if err != nil {
		return nil, err
	}
	h := &hcmv3.HttpConnectionManager{
		StatPrefix: statPrefix,
		CodecType:  hcmv3.HttpConnectionManager_AUTO,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			ConfigSource:    adsSource,
			RouteConfigName: rds,
		}},
		HttpFilters: append(append(authz, filters...), routerFilter),
		AccessLog:   logs,
		// Match routes (and so policies) on the normalized path: without
		// this, "/api/../admin", "//admin" or "/%61dmin" could reach a route
		// that "/admin" is not allowed to, bypassing its rate limit.
		NormalizePath:                wrapperspb.Bool(true),
		MergeSlashes:                 true,
		PathWithEscapedSlashesAction: hcmv3.HttpConnectionManager_UNESCAPE_AND_REDIRECT,
		// The connection's peer is the client: the load balancer's or
		// ztunnel's PROXY header restored it. Settings may trust XFF hops.
		UseRemoteAddress: wrapperspb.Bool(true),
		// WebSocket upgrades pass through, as behind Istio's waypoint and
		// most gateways; applications rely on it without asking.
		UpgradeConfigs: []*hcmv3.HttpConnectionManager_UpgradeConfig{{UpgradeType: "websocket"}},
		// Gateway API hostnames have no port: match "example.com:8080" as
		// "example.com".
		StripPortMode: &hcmv3.HttpConnectionManager_StripAnyHostPort{StripAnyHostPort: true},
	}
	if s != nil {
		applyHTTPSettings(h, s)
	}
	return h, nil
}

func applyHTTPSettings(h *hcmv3.HttpConnectionManager, s *ir.HTTPSettings) {
	h.XffNumTrustedHops = s.XFFNumTrustedHops
	if s.UseRemoteAddress != nil {
		h.UseRemoteAddress = wrapperspb.Bool(*s.UseRemoteAddress)
	}
	h.ServerName = s.ServerName
	if s.IdleTimeout != nil {
		h.CommonHttpProtocolOptions = &corev3.HttpProtocolOptions{IdleTimeout: durationpb.New(s.IdleTimeout.Std())}
	}
	if s.StreamIdleTimeout != nil {
		h.StreamIdleTimeout = durationpb.New(s.StreamIdleTimeout.Std())
	}
}

// hcmNetworkFilter packs an HCM as a network filter, validating it first.
func hcmNetworkFilter(what string, h *hcmv3.HttpConnectionManager) (*listenerv3.Filter, error) {
	a, err := pack(what+": http connection manager", h)
	if err != nil {
		return nil, err
	}
	return &listenerv3.Filter{Name: hcmFilterName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a}}, nil
}
