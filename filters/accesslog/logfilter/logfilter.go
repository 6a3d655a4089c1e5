// Package logfilter evaluates an access-log entry's filter (kgateway's
// accessLog filter shapes, Envoy's AccessLogFilter semantics) against one
// request. A filter is compiled once at plugin start; Match only reads the
// values it needs from the same format.Source the line formatter uses.
package logfilter

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	"wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
)

// Filter is a compiled access-log filter. A nil *Filter matches everything.
type Filter struct {
	all  []leaf // andFilter, or the single filter
	any  []leaf // orFilter
	isOr bool
}

type leaf func(format.Source) bool

// Compile validates and compiles f. healthCheckPaths are the request paths
// notHealthCheckFilter treats as health checks.
func Compile(f *config.AccessLogFilter, healthCheckPaths []string) (*Filter, error) {
	if f == nil {
		return nil, nil
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	hc := map[string]bool{}
	for _, p := range healthCheckPaths {
		hc[p] = true
	}
	out := &Filter{}
	var list []config.AccessLogFilterType
	switch {
	case f.AndFilter != nil:
		list = f.AndFilter
	case f.OrFilter != nil:
		list, out.isOr = f.OrFilter, true
	default:
		list = []config.AccessLogFilterType{f.AccessLogFilterType}
	}
	for i := range list {
		l, err := compileLeaf(&list[i], hc)
		if err != nil {
			return nil, err
		}
		if out.isOr {
			out.any = append(out.any, l)
		} else {
			out.all = append(out.all, l)
		}
	}
	return out, nil
}

// Match reports whether the request is logged.
func (f *Filter) Match(src format.Source) bool {
	if f == nil {
		return true
	}
	if f.isOr {
		for _, l := range f.any {
			if l(src) {
				return true
			}
		}
		return false
	}
	for _, l := range f.all {
		if !l(src) {
			return false
		}
	}
	return true
}

func compare(op string, got int64, want uint32) bool {
	switch op {
	case config.AccessLogOpEQ:
		return got == int64(want)
	case config.AccessLogOpGE:
		return got >= int64(want)
	default: // LE; Validate rejected anything else
		return got <= int64(want)
	}
}

func compileLeaf(t *config.AccessLogFilterType, healthChecks map[string]bool) (leaf, error) {
	switch {
	case t.StatusCodeFilter != nil:
		c := *t.StatusCodeFilter
		return func(s format.Source) bool {
			code, _ := s.Number(format.ResponseCode) // Envoy compares 0 when there is no response
			return compare(c.Op, code, c.Value)
		}, nil
	case t.DurationFilter != nil:
		c := *t.DurationFilter
		return func(s format.Source) bool {
			d, ok := s.Number(format.Duration)
			if !ok {
				return false
			}
			return compare(c.Op, d/1e6, c.Value)
		}, nil
	case t.NotHealthCheckFilter:
		return func(s format.Source) bool {
			path, _ := s.Header(format.RequestHeader, ":path")
			path, _, _ = strings.Cut(path, "?")
			return !healthChecks[path]
		}, nil
	case t.HeaderFilter != nil:
		return headerLeaf(t.HeaderFilter.Header)
	case t.ResponseFlagFilter != nil:
		var mask uint64
		for _, name := range t.ResponseFlagFilter.Flags {
			bit, _ := format.ResponseFlagBit(name)
			mask |= bit
		}
		if mask == 0 { // an empty list matches any flag
			mask = ^uint64(0)
		}
		return func(s format.Source) bool { return s.ResponseFlags()&mask != 0 }, nil
	case t.GrpcStatusFilter != nil:
		want := map[int]bool{}
		for _, name := range t.GrpcStatusFilter.Statuses {
			want[config.GrpcStatusCodes[name]] = true
		}
		exclude := t.GrpcStatusFilter.Exclude
		return func(s format.Source) bool {
			found := want[grpcStatus(s)]
			return found != exclude
		}, nil
	}
	return nil, errors.New("unsupported filter")
}

func headerLeaf(h config.AccessLogHeaderMatch) (leaf, error) {
	name := strings.ToLower(h.Name)
	if h.Type == config.AccessLogHeaderRegex {
		re, err := regexp.Compile(`^(?:` + h.Value + `)$`) // Envoy's regex matches the whole value
		if err != nil {
			return nil, err
		}
		return func(s format.Source) bool {
			v, ok := s.Header(format.RequestHeader, name)
			return ok && re.MatchString(v)
		}, nil
	}
	if h.Value == "" {
		return func(s format.Source) bool {
			_, ok := s.Header(format.RequestHeader, name)
			return ok
		}, nil
	}
	return func(s format.Source) bool {
		v, ok := s.Header(format.RequestHeader, name)
		return ok && v == h.Value
	}, nil
}

// gRPC status codes used when mapping HTTP statuses (Envoy's
// Grpc::Utility::httpToGrpcStatus).
const (
	grpcUnknown          = 2
	grpcPermissionDenied = 7
	grpcUnimplemented    = 12
	grpcInternal         = 13
	grpcUnavailable      = 14
	grpcUnauthenticated  = 16
)

// grpcStatus is the response's gRPC status as Envoy's GrpcStatusFilter sees
// it: grpc-status from trailers, then headers, then mapped from the HTTP
// status; Unknown when there is none.
func grpcStatus(s format.Source) int {
	for _, kind := range []format.HeaderKind{format.ResponseTrailer, format.ResponseHeader} {
		if v, ok := s.Header(kind, "grpc-status"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return grpcUnknown
			}
			return n
		}
	}
	code, ok := s.Number(format.ResponseCode)
	if !ok {
		return grpcUnknown
	}
	switch code {
	case 400:
		return grpcInternal
	case 401:
		return grpcUnauthenticated
	case 403:
		return grpcPermissionDenied
	case 404:
		return grpcUnimplemented
	case 429, 502, 503, 504:
		return grpcUnavailable
	}
	return grpcUnknown
}
