package envoysim

import (
	"fmt"
	"regexp"
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	celfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
)

const celFilterTypeURL = "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter"

// celFilterState matches the CEL expressions wasp's translator puts on its
// file loggers: `"<key>" in filter_state` and its negation. CEL itself is
// not modelled; any other expression is an error.
var celFilterState = regexp.MustCompile(`^(!\()?"([^"]+)" in filter_state(\))?$`)

// checkFilter refuses access-log filters this package cannot evaluate.
func checkFilter(f *accesslogv3.AccessLogFilter) error {
	if f == nil {
		return nil
	}
	switch s := f.GetFilterSpecifier().(type) {
	case *accesslogv3.AccessLogFilter_StatusCodeFilter, *accesslogv3.AccessLogFilter_DurationFilter,
		*accesslogv3.AccessLogFilter_NotHealthCheckFilter, *accesslogv3.AccessLogFilter_TraceableFilter,
		*accesslogv3.AccessLogFilter_ResponseFlagFilter, *accesslogv3.AccessLogFilter_HeaderFilter:
		return nil
	case *accesslogv3.AccessLogFilter_AndFilter:
		for _, sub := range s.AndFilter.GetFilters() {
			if err := checkFilter(sub); err != nil {
				return err
			}
		}
		return nil
	case *accesslogv3.AccessLogFilter_OrFilter:
		for _, sub := range s.OrFilter.GetFilters() {
			if err := checkFilter(sub); err != nil {
				return err
			}
		}
		return nil
	case *accesslogv3.AccessLogFilter_ExtensionFilter:
		_, _, err := celStateCheck(s.ExtensionFilter)
		return err
	}
	return fmt.Errorf("access-log filter %T is not modelled", f.GetFilterSpecifier())
}

func celStateCheck(ext *accesslogv3.ExtensionFilter) (key string, negate bool, err error) {
	if ext.GetTypedConfig().GetTypeUrl() != celFilterTypeURL {
		return "", false, fmt.Errorf("extension filter %s is not modelled", ext.GetTypedConfig().GetTypeUrl())
	}
	var cel celfilterv3.ExpressionFilter
	if err := ext.GetTypedConfig().UnmarshalTo(&cel); err != nil {
		return "", false, err
	}
	m := celFilterState.FindStringSubmatch(cel.GetExpression())
	if m == nil || (m[1] == "") != (m[3] == "") {
		return "", false, fmt.Errorf("CEL expression %q is not modelled", cel.GetExpression())
	}
	return m[2], m[1] != "", nil
}

// evalFilter decides whether an exchange is logged, as Envoy's access-log
// filters do. The simulation takes no time, is never traced and sends no
// health checks.
func evalFilter(f *accesslogv3.AccessLogFilter, ex *Exchange, hr *httpRequest) (bool, error) {
	if f == nil {
		return true, nil
	}
	switch s := f.GetFilterSpecifier().(type) {
	case *accesslogv3.AccessLogFilter_StatusCodeFilter:
		return compare(s.StatusCodeFilter.GetComparison(), uint32(ex.Status())), nil
	case *accesslogv3.AccessLogFilter_DurationFilter:
		return compare(s.DurationFilter.GetComparison(), 0), nil
	case *accesslogv3.AccessLogFilter_NotHealthCheckFilter:
		return true, nil
	case *accesslogv3.AccessLogFilter_TraceableFilter:
		return false, nil
	case *accesslogv3.AccessLogFilter_ResponseFlagFilter:
		if ex.ResponseFlags == "-" {
			return false, nil
		}
		want := s.ResponseFlagFilter.GetFlags()
		if len(want) == 0 {
			return true, nil
		}
		for _, got := range strings.Split(ex.ResponseFlags, ",") {
			for _, w := range want {
				if got == w {
					return true, nil
				}
			}
		}
		return false, nil
	case *accesslogv3.AccessLogFilter_HeaderFilter:
		return headerMatches(s.HeaderFilter.GetHeader(), hr)
	case *accesslogv3.AccessLogFilter_AndFilter:
		for _, sub := range s.AndFilter.GetFilters() {
			if ok, err := evalFilter(sub, ex, hr); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case *accesslogv3.AccessLogFilter_OrFilter:
		for _, sub := range s.OrFilter.GetFilters() {
			if ok, err := evalFilter(sub, ex, hr); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case *accesslogv3.AccessLogFilter_ExtensionFilter:
		key, negate, err := celStateCheck(s.ExtensionFilter)
		if err != nil {
			return false, err
		}
		_, present := ex.Result.FilterState[key]
		return present != negate, nil
	}
	return false, fmt.Errorf("access-log filter %T is not modelled", f.GetFilterSpecifier())
}

// compare applies a ComparisonFilter (its runtime key is ignored: the
// default value is what Envoy uses without a runtime override).
func compare(c *accesslogv3.ComparisonFilter, v uint32) bool {
	want := c.GetValue().GetDefaultValue()
	switch c.GetOp() {
	case accesslogv3.ComparisonFilter_GE:
		return v >= want
	case accesslogv3.ComparisonFilter_LE:
		return v <= want
	default:
		return v == want
	}
}
