package translator

import (
	"fmt"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"

	"wasp.dev/filters/config"
)

// Runtime keys Envoy requires on comparison filters (it reads an override
// from runtime under that key; wasp sets none, so the value applies).
const (
	statusRuntimeKey   = "wasp.access_log.status_code"
	durationRuntimeKey = "wasp.access_log.duration"
)

var comparisonOps = map[string]accesslogv3.ComparisonFilter_Op{
	"":                   accesslogv3.ComparisonFilter_EQ,
	config.AccessLogOpEQ: accesslogv3.ComparisonFilter_EQ,
	config.AccessLogOpGE: accesslogv3.ComparisonFilter_GE,
	config.AccessLogOpLE: accesslogv3.ComparisonFilter_LE,
}

// nativeFilter maps an access-log entry's filter (kgateway's shapes, which
// mirror Envoy's) to Envoy's native access-log filter, for the fallback
// logger that renders requests the Wasm filter never saw. Nil means "log
// everything".
func nativeFilter(f *config.AccessLogFilter) (*accesslogv3.AccessLogFilter, error) {
	if f == nil {
		return nil, nil
	}
	switch {
	case len(f.AndFilter) > 0:
		fs, err := nativeFilters(f.AndFilter)
		if err != nil {
			return nil, err
		}
		return &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_AndFilter{
			AndFilter: &accesslogv3.AndFilter{Filters: fs},
		}}, nil
	case len(f.OrFilter) > 0:
		fs, err := nativeFilters(f.OrFilter)
		if err != nil {
			return nil, err
		}
		return &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_OrFilter{
			OrFilter: &accesslogv3.OrFilter{Filters: fs},
		}}, nil
	}
	return nativeFilterType(&f.AccessLogFilterType)
}

func nativeFilters(ts []config.AccessLogFilterType) ([]*accesslogv3.AccessLogFilter, error) {
	out := make([]*accesslogv3.AccessLogFilter, 0, len(ts))
	for i := range ts {
		f, err := nativeFilterType(&ts[i])
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func comparison(c *config.AccessLogComparison, key string) (*accesslogv3.ComparisonFilter, error) {
	op, ok := comparisonOps[c.Op]
	if !ok {
		return nil, fmt.Errorf("comparison op %q", c.Op)
	}
	return &accesslogv3.ComparisonFilter{Op: op, Value: &corev3.RuntimeUInt32{DefaultValue: c.Value, RuntimeKey: key}}, nil
}

func nativeFilterType(t *config.AccessLogFilterType) (*accesslogv3.AccessLogFilter, error) {
	f := &accesslogv3.AccessLogFilter{}
	switch {
	case t.StatusCodeFilter != nil:
		c, err := comparison(t.StatusCodeFilter, statusRuntimeKey)
		if err != nil {
			return nil, err
		}
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_StatusCodeFilter{StatusCodeFilter: &accesslogv3.StatusCodeFilter{Comparison: c}}
	case t.DurationFilter != nil:
		c, err := comparison(t.DurationFilter, durationRuntimeKey)
		if err != nil {
			return nil, err
		}
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_DurationFilter{DurationFilter: &accesslogv3.DurationFilter{Comparison: c}}
	case t.NotHealthCheckFilter:
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_NotHealthCheckFilter{NotHealthCheckFilter: &accesslogv3.NotHealthCheckFilter{}}
	case t.TraceableFilter:
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_TraceableFilter{TraceableFilter: &accesslogv3.TraceableFilter{}}
	case t.HeaderFilter != nil:
		h := t.HeaderFilter.Header
		m := &routev3.HeaderMatcher{Name: h.Name}
		switch {
		case h.Type == config.AccessLogHeaderRegex:
			m.HeaderMatchSpecifier = &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_SafeRegex{SafeRegex: &matcherv3.RegexMatcher{Regex: h.Value}},
			}}
			if err := checkRegex(h.Value); err != nil {
				return nil, err
			}
		case h.Value == "":
			m.HeaderMatchSpecifier = &routev3.HeaderMatcher_PresentMatch{PresentMatch: true}
		default:
			m.HeaderMatchSpecifier = &routev3.HeaderMatcher_StringMatch{StringMatch: &matcherv3.StringMatcher{
				MatchPattern: &matcherv3.StringMatcher_Exact{Exact: h.Value},
			}}
		}
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_HeaderFilter{HeaderFilter: &accesslogv3.HeaderFilter{Header: m}}
	case t.ResponseFlagFilter != nil:
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_ResponseFlagFilter{ResponseFlagFilter: &accesslogv3.ResponseFlagFilter{Flags: t.ResponseFlagFilter.Flags}}
	case t.GrpcStatusFilter != nil:
		g := &accesslogv3.GrpcStatusFilter{Exclude: t.GrpcStatusFilter.Exclude}
		for _, s := range t.GrpcStatusFilter.Statuses {
			code, ok := config.GrpcStatusCodes[s]
			if !ok {
				return nil, fmt.Errorf("gRPC status %q", s)
			}
			g.Statuses = append(g.Statuses, accesslogv3.GrpcStatusFilter_Status(code))
		}
		f.FilterSpecifier = &accesslogv3.AccessLogFilter_GrpcStatusFilter{GrpcStatusFilter: g}
	case t.CELFilter != nil:
		// The Wasm filter rejects CEL, and so does the policy's Validate; a
		// fallback must not log what the main path never would.
		return nil, fmt.Errorf("celFilter is not supported")
	default:
		return nil, fmt.Errorf("empty filter")
	}
	return f, nil
}
