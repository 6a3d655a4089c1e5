package translator

import (
	"fmt"
	"strings"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	celv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/filters/cel/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"

	logformat "wasp.dev/filters/accesslog/format"
	"wasp.dev/filters/config"
	"wasp.dev/xds/ir"
)

// How access lines reach a file (filters/accesslog/README.md): the Wasm
// filter cannot write files, so it formats entry i's line in on_log and
// stores it as filter state wasm.<config.AccessLogLineKey(i)>; Envoy's
// filters' on_log run before the HCM's access loggers (≥ 1.32,
// filter_access_loggers_first), so a native file logger per fileSink entry
// prints %FILTER_STATE(...:PLAIN)% — only when the line exists (the entry's
// own filter may have dropped it). Requests the filter never saw (404 NR,
// codec errors: no filter chain was built) get the entry's format rendered
// natively by a fallback logger, selected by the absence of the filter's
// "seen" marker.
const celFilterName = "envoy.access_loggers.extension_filters.cel"

func celFilter(what, expr string) (*accesslogv3.AccessLogFilter, error) {
	a, err := pack(what+": cel filter", &celv3.ExpressionFilter{Expression: expr})
	if err != nil {
		return nil, err
	}
	return &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_ExtensionFilter{
		ExtensionFilter: &accesslogv3.ExtensionFilter{
			Name:       celFilterName,
			ConfigType: &accesslogv3.ExtensionFilter_TypedConfig{TypedConfig: a},
		},
	}}, nil
}

func fileLogger(what, path string, format *corev3.SubstitutionFormatString, filter *accesslogv3.AccessLogFilter) (*accesslogv3.AccessLog, error) {
	a, err := pack(what, &filev3.FileAccessLog{
		Path:            path,
		AccessLogFormat: &filev3.FileAccessLog_LogFormat{LogFormat: format},
	})
	if err != nil {
		return nil, err
	}
	return &accesslogv3.AccessLog{
		Name:       fileAccessLogName,
		Filter:     filter,
		ConfigType: &accesslogv3.AccessLog_TypedConfig{TypedConfig: a},
	}, nil
}

func textFormat(s string) *corev3.SubstitutionFormatString {
	return &corev3.SubstitutionFormatString{Format: &corev3.SubstitutionFormatString_TextFormatSource{
		TextFormatSource: &corev3.DataSource{Specifier: &corev3.DataSource_InlineString{InlineString: s}},
	}}
}

// accessLoggers returns the native loggers of one HCM, from the access-log
// policies its routes use (normally just the filter's Default). Results
// are cached per policy set: a waypoint has many HCMs with the same policy.
func (t *translation) accessLoggers(routes []*ir.Route) ([]*accesslogv3.AccessLog, error) {
	f := t.wasm.filters[ir.FilterAccessLog]
	if f == nil {
		return nil, nil
	}
	used := map[string]bool{}
	if f.Default != "" {
		used[f.Default] = true
	}
	for _, r := range routes {
		if k, ok := r.Wasm[f.Name]; ok {
			used[k] = true
		}
	}
	keys := sortedKeys(used)
	cacheKey := strings.Join(keys, "\x00")
	if out, ok := t.accessLogCache[cacheKey]; ok {
		return out, nil
	}
	var out []*accesslogv3.AccessLog
	paths := map[int]string{}
	for _, key := range keys {
		p, err := accessLogPolicy(f, key)
		if err != nil {
			return nil, err
		}
		for i, e := range p.AccessLog {
			if e.FileSink == nil {
				continue
			}
			what := fmt.Sprintf("access log policy %q entry %d", key, i)
			if prev, ok := paths[i]; ok {
				if prev != e.FileSink.Path {
					return nil, fmt.Errorf("%s: path %s differs from %s of another policy's entry %d on the same listener", what, e.FileSink.Path, prev, i)
				}
			} else {
				paths[i] = e.FileSink.Path
				exists, err := celFilter(what, fmt.Sprintf("%q in filter_state", config.AccessLogFilterStateKey(i)))
				if err != nil {
					return nil, err
				}
				l, err := fileLogger(what, e.FileSink.Path, textFormat(config.AccessLogLineFormat(i)), exists)
				if err != nil {
					return nil, err
				}
				out = append(out, l)
			}
			if key != f.Default {
				continue
			}
			fb, err := fallbackLogger(what, &e)
			if err != nil {
				return nil, err
			}
			out = append(out, fb)
		}
	}
	if t.accessLogCache == nil {
		t.accessLogCache = map[string][]*accesslogv3.AccessLog{}
	}
	t.accessLogCache[cacheKey] = out
	return out, nil
}

// fallbackLogger renders the entry's format natively for requests the Wasm
// filter never saw (its "seen" marker is absent), with the entry's own
// filter translated to Envoy's native one. Envoy's formatter prints
// headers as they are, so the format is rewritten by the filter's
// redaction rule first (logformat.RedactFormat): both paths print the same
// line.
func fallbackLogger(what string, e *config.AccessLog) (*accesslogv3.AccessLog, error) {
	fs := e.FileSink
	redact := logformat.Options{Unredacted: e.UnredactedHeaders}
	var format *corev3.SubstitutionFormatString
	switch {
	case len(fs.JSONFormat) > 0:
		var st structpb.Struct
		if err := protojson.Unmarshal(fs.JSONFormat, &st); err != nil {
			return nil, fmt.Errorf("%s: jsonFormat: %w", what, err)
		}
		if err := redactJSONFormat(&st, redact); err != nil {
			return nil, fmt.Errorf("%s: jsonFormat: %w", what, err)
		}
		format = &corev3.SubstitutionFormatString{Format: &corev3.SubstitutionFormatString_JsonFormat{JsonFormat: &st}}
	default:
		s := fs.StringFormat
		if s == "" {
			s = config.DefaultTextFormat
		}
		if !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s, err := logformat.RedactFormat(s, redact)
		if err != nil {
			return nil, fmt.Errorf("%s: stringFormat: %w", what, err)
		}
		format = textFormat(s)
	}
	filter, err := celFilter(what+" fallback", fmt.Sprintf("!(%q in filter_state)", "wasm."+config.AccessLogSeenKey))
	if err != nil {
		return nil, err
	}
	own, err := nativeFilter(e.Filter)
	if err != nil {
		return nil, fmt.Errorf("%s: filter: %w", what, err)
	}
	if own != nil {
		filter = &accesslogv3.AccessLogFilter{FilterSpecifier: &accesslogv3.AccessLogFilter_AndFilter{
			AndFilter: &accesslogv3.AndFilter{Filters: []*accesslogv3.AccessLogFilter{filter, own}},
		}}
	}
	return fileLogger(what+" fallback", fs.Path, format, filter)
}

// redactJSONFormat applies the redaction rule to every string of a JSON
// format, nested objects and lists included.
func redactJSONFormat(st *structpb.Struct, o logformat.Options) error {
	for _, v := range st.GetFields() {
		if err := redactJSONValue(v, o); err != nil {
			return err
		}
	}
	return nil
}

func redactJSONValue(v *structpb.Value, o logformat.Options) error {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		s, err := logformat.RedactFormat(k.StringValue, o)
		if err != nil {
			return err
		}
		k.StringValue = s
	case *structpb.Value_StructValue:
		return redactJSONFormat(k.StructValue, o)
	case *structpb.Value_ListValue:
		for _, item := range k.ListValue.GetValues() {
			if err := redactJSONValue(item, o); err != nil {
				return err
			}
		}
	}
	return nil
}
