package authz

import (
	"fmt"

	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	rbachttpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/rbac/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	rbacnetv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/rbac/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"wasp.dev/xds/ir"
)

// HTTPFilters returns the HTTP RBAC filters for an HTTP chain, to go into
// its HCM before the router (and before any filter that should only see
// authorized requests), in the returned order. policies are those that
// apply to the chain (see ForService). No policies: no filters (allow).
// The findings say what is not enforced as written; the error is for
// malformed IR only.
func HTTPFilters(policies []*ir.AuthorizationPolicy) ([]*hcmv3.HttpFilter, []Finding, error) {
	sets, findings, err := translate(policies, false)
	if err != nil {
		return nil, nil, err
	}
	var out []*hcmv3.HttpFilter
	for _, s := range sets {
		cfg := &rbachttpv3.RBAC{
			Rules:           s.rules,
			RulesStatPrefix: s.stage.name + "_",
			ShadowRules:     s.shadow,
		}
		if s.shadow != nil {
			cfg.ShadowRulesStatPrefix = s.stage.dryRunStatPrefix
		}
		a, err := pack(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("authorization %s filter: %w", s.stage.name, err)
		}
		out = append(out, &hcmv3.HttpFilter{Name: FilterNamePrefix + s.stage.name, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: a}})
	}
	return out, findings, nil
}

// NetworkFilters returns the network RBAC filters for a TCP chain, to go
// after the set_filter_state filter that copies the peer identity and
// before tcp_proxy. statPrefix prefixes their stats (empty: "tcp.").
func NetworkFilters(policies []*ir.AuthorizationPolicy, statPrefix string) ([]*listenerv3.Filter, []Finding, error) {
	if statPrefix == "" {
		statPrefix = defaultNetworkStatPrefix
	}
	sets, findings, err := translate(policies, true)
	if err != nil {
		return nil, nil, err
	}
	var out []*listenerv3.Filter
	for _, s := range sets {
		cfg := &rbacnetv3.RBAC{
			Rules:       s.rules,
			ShadowRules: s.shadow,
			StatPrefix:  statPrefix + s.stage.name + ".",
		}
		if s.shadow != nil {
			cfg.ShadowRulesStatPrefix = s.stage.dryRunStatPrefix
		}
		a, err := pack(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("authorization %s filter: %w", s.stage.name, err)
		}
		out = append(out, &listenerv3.Filter{Name: FilterNamePrefix + s.stage.name, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: a}})
	}
	return out, findings, nil
}

type validatable interface {
	proto.Message
	ValidateAll() error
}

// pack validates m (an Any's own validation checks only its type URL) and
// marshals it deterministically, so equal policies give equal bytes and
// snapshot versions stay stable.
func pack(m validatable) (*anypb.Any, error) {
	if err := m.ValidateAll(); err != nil {
		return nil, err
	}
	a := &anypb.Any{}
	if err := anypb.MarshalFrom(a, m, proto.MarshalOptions{Deterministic: true}); err != nil {
		return nil, err
	}
	return a, nil
}
