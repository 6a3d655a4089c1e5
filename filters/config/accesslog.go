package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"wasp.dev/filters/accesslog/format"
)

// The access-log filter's configuration: PluginConfig[AccessLogPolicy]. Access
// logging is listener-wide, so the translator puts the listener's policy under
// Default (and maps no routes).
//
// Shapes follow kgateway's HTTPListenerPolicy accessLog (api/v1alpha1) so a
// policy converts field by field; the few wasp additions are marked.

// AccessLogPolicy is one listener's access logging: its HTTPListenerPolicy's
// accessLog list, each entry logged independently.
type AccessLogPolicy struct {
	AccessLog []AccessLog `json:"accessLog"`
	// HealthCheckPaths (wasp) are the request paths that count as health
	// checks for notHealthCheckFilter: the translator copies the listener
	// policy's healthCheck path here (Envoy's own flag is not visible to Wasm).
	HealthCheckPaths []string `json:"healthCheckPaths,omitempty"`
}

// AccessLog is one accessLog entry: exactly one sink plus an optional filter.
type AccessLog struct {
	FileSink      *AccessLogFileSink      `json:"fileSink,omitempty"`
	OpenTelemetry *AccessLogOpenTelemetry `json:"openTelemetry,omitempty"`
	Filter        *AccessLogFilter        `json:"filter,omitempty"`
	// UnredactedHeaders (wasp) lists sensitive headers (authorization, cookie,
	// set-cookie, proxy-authorization) this entry may print; by default their
	// values print as [REDACTED].
	UnredactedHeaders []string `json:"unredactedHeaders,omitempty"`
}

// AccessLogFileSink writes lines to a file (/dev/stdout, /dev/stderr or a
// path). Exactly one of StringFormat and JSONFormat is set.
type AccessLogFileSink struct {
	Path         string          `json:"path"`
	StringFormat string          `json:"stringFormat,omitempty"`
	JSONFormat   json.RawMessage `json:"jsonFormat,omitempty"`
}

// AccessLogOpenTelemetry posts batches of log records to an OTLP/HTTP collector
// (JSON encoding) with dispatch_http_call. kgateway's openTelemetry sink names
// a gRPC backend; wasp speaks OTLP/HTTP to the cluster the translator builds
// for that backend.
type AccessLogOpenTelemetry struct {
	// Cluster is the Envoy cluster of the collector.
	Cluster string `json:"cluster"`
	// Authority is the :authority of the posts; default Cluster.
	Authority string `json:"authority,omitempty"`
	// Path of the OTLP logs endpoint; default DefaultOTLPLogsPath.
	Path string `json:"path,omitempty"`
	// LogName becomes the log_name attribute (as in Envoy's OTel logger).
	LogName string `json:"logName,omitempty"`
	// Body is a text format for each record's body; default DefaultTextFormat.
	Body string `json:"body,omitempty"`
	// Attributes are added to every record; string values are formats.
	Attributes *AccessLogKeyValues `json:"attributes,omitempty"`
	// ResourceAttributes describe the sender (plain strings).
	ResourceAttributes *AccessLogKeyValues `json:"resourceAttributes,omitempty"`
	// DisableBuiltinLabels drops the log_name attribute.
	DisableBuiltinLabels bool `json:"disableBuiltinLabels,omitempty"`
	// TimeoutMs bounds one post; default DefaultOTLPTimeoutMs.
	TimeoutMs uint32 `json:"timeoutMs,omitempty"`
	// FlushIntervalMs is the tick that sends a batch; default
	// DefaultOTLPFlushIntervalMs.
	FlushIntervalMs uint32 `json:"flushIntervalMs,omitempty"`
	// MaxBatchSize caps the records of one post; default DefaultOTLPMaxBatch.
	MaxBatchSize int `json:"maxBatchSize,omitempty"`
	// MaxQueueSize caps the records waiting in the VM; past it records are
	// dropped and counted. Default DefaultOTLPMaxQueue.
	MaxQueueSize int `json:"maxQueueSize,omitempty"`
}

// AccessLogKeyValues is kgateway's KeyAnyValueList (string values only).
type AccessLogKeyValues struct {
	Values []AccessLogKeyValue `json:"values,omitempty"`
}

// AccessLogKeyValue is one attribute.
type AccessLogKeyValue struct {
	Key   string            `json:"key"`
	Value AccessLogAnyValue `json:"value"`
}

// AccessLogAnyValue holds an attribute value; wasp supports stringValue.
type AccessLogAnyValue struct {
	StringValue *string `json:"stringValue,omitempty"`
}

// AccessLogFilter decides whether a request is logged: one filter, or an
// andFilter / orFilter of at least two.
type AccessLogFilter struct {
	AccessLogFilterType
	AndFilter []AccessLogFilterType `json:"andFilter,omitempty"`
	OrFilter  []AccessLogFilterType `json:"orFilter,omitempty"`
}

// AccessLogFilterType is exactly one filter.
type AccessLogFilterType struct {
	StatusCodeFilter     *AccessLogComparison         `json:"statusCodeFilter,omitempty"`
	DurationFilter       *AccessLogComparison         `json:"durationFilter,omitempty"`
	NotHealthCheckFilter bool                         `json:"notHealthCheckFilter,omitempty"`
	TraceableFilter      bool                         `json:"traceableFilter,omitempty"`
	HeaderFilter         *AccessLogHeaderFilter       `json:"headerFilter,omitempty"`
	ResponseFlagFilter   *AccessLogResponseFlagFilter `json:"responseFlagFilter,omitempty"`
	GrpcStatusFilter     *AccessLogGrpcStatusFilter   `json:"grpcStatusFilter,omitempty"`
	CELFilter            *AccessLogCELFilter          `json:"celFilter,omitempty"`
}

// AccessLogComparison compares the response code, or the duration in
// milliseconds, with Value. Op is EQ, GE or LE.
type AccessLogComparison struct {
	Op    string `json:"op,omitempty"`
	Value uint32 `json:"value,omitempty"`
}

// Comparison operators of AccessLogComparison.
const (
	AccessLogOpEQ = "EQ"
	AccessLogOpGE = "GE"
	AccessLogOpLE = "LE"
)

// AccessLogHeaderFilter matches a request header (Gateway API HTTPHeaderMatch).
type AccessLogHeaderFilter struct {
	Header AccessLogHeaderMatch `json:"header"`
}

// AccessLogHeaderMatch: Type is Exact (default) or RegularExpression (RE2,
// whole value). An empty Value with type Exact matches on presence alone.
type AccessLogHeaderMatch struct {
	Type  string `json:"type,omitempty"`
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// Header match types.
const (
	AccessLogHeaderExact = "Exact"
	AccessLogHeaderRegex = "RegularExpression"
)

// AccessLogResponseFlagFilter matches when any listed flag is set (any flag
// when the list is empty). RL includes wasp's own rate limit.
type AccessLogResponseFlagFilter struct {
	Flags []string `json:"flags"`
}

// AccessLogGrpcStatusFilter matches the response's gRPC status (from
// grpc-status, else mapped from the HTTP status as Envoy does).
type AccessLogGrpcStatusFilter struct {
	Statuses []string `json:"statuses,omitempty"`
	Exclude  bool     `json:"exclude,omitempty"`
}

// AccessLogCELFilter is kgateway's CEL filter; wasp rejects it (no CEL in the
// Wasm filter).
type AccessLogCELFilter struct {
	Match string `json:"match"`
}

// GrpcStatusCodes maps kgateway's gRPC status names to codes.
var GrpcStatusCodes = map[string]int{
	"OK": 0, "CANCELED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
	"NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
	"FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
	"INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}

// Defaults of the OTLP sink.
const (
	DefaultOTLPLogsPath        = "/v1/logs"
	DefaultOTLPTimeoutMs       = 5000
	DefaultOTLPFlushIntervalMs = 1000
	// DefaultOTLPMaxBatch keeps one post well under typical 4 MiB limits.
	DefaultOTLPMaxBatch = 500
	// DefaultOTLPMaxQueue bounds the VM's memory if the collector stalls.
	DefaultOTLPMaxQueue = 10000
)

// DefaultTextFormat is Envoy's default access-log format.
const DefaultTextFormat = `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ` +
	`%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ` +
	`%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ` +
	`"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"` + "\n"

// The file-sink hand-off between the Wasm filter and Envoy's native file
// access logger (see filters/accesslog/README.md). The filter formats entry i
// in proxy_on_log and stores the line with proxy_set_property under
// AccessLogLineKey(i); Envoy keeps it as filter state "wasm.<key>". The
// translator adds, per fileSink entry i, a native file access logger for the
// sink's path with format AccessLogLineFormat(i) and a filter that the state
// exists. The filter also sets AccessLogSeenKey on every request it saw, so a
// native fallback logger (the same format rendered by Envoy) can be limited to
// requests the filter never saw (404 NR, codec errors).
const (
	accessLogLinePrefix = "wasp_access_log_"
	// AccessLogSeenKey is set (value "1") on every request the filter logs
	// or filters out.
	AccessLogSeenKey = "wasp_access_log_seen"
)

// AccessLogLineKey is the one-segment property key of entry i's line.
func AccessLogLineKey(i int) string { return accessLogLinePrefix + strconv.Itoa(i) }

// AccessLogFilterStateKey is the Envoy filter-state key of entry i's line.
func AccessLogFilterStateKey(i int) string { return "wasm." + AccessLogLineKey(i) }

// AccessLogLineFormat is the native logger's text format for entry i.
func AccessLogLineFormat(i int) string {
	return "%FILTER_STATE(" + AccessLogFilterStateKey(i) + ":PLAIN)%\n"
}

// AccessLogLinePresentCEL is a CEL expression (for Envoy's CEL access-log
// filter extension) that holds when entry i's line exists: the native
// logger's filter, so a request the entry filtered out prints nothing.
func AccessLogLinePresentCEL(i int) string {
	return "'" + AccessLogFilterStateKey(i) + "' in filter_state"
}

// AccessLogNotSeenCEL holds for requests the filter never saw: the native
// fallback logger's filter.
const AccessLogNotSeenCEL = "!('wasm." + AccessLogSeenKey + "' in filter_state)"

// ParseFormat parses the entry's line format (the file sink's format, or the
// OTLP body) with the parser the filter uses.
func (a *AccessLog) ParseFormat() (*format.Format, error) {
	opt := format.Options{Unredacted: a.UnredactedHeaders}
	switch {
	case a.FileSink != nil && len(a.FileSink.JSONFormat) > 0:
		return format.ParseJSON(a.FileSink.JSONFormat, opt)
	case a.FileSink != nil:
		return format.ParseText(a.FileSink.StringFormat, opt)
	case a.OpenTelemetry != nil && a.OpenTelemetry.Body != "":
		return format.ParseText(a.OpenTelemetry.Body, opt)
	}
	return format.ParseText(DefaultTextFormat, opt)
}

// ParseAccessLogPlugin decodes the access-log plugin configuration strictly
// (unknown fields are errors: a field the filter ignores would be a silent
// misconfiguration) and validates every policy. The filter and the
// translator's round-trip test both use it. An empty configuration is valid
// and logs nothing.
func ParseAccessLogPlugin(data []byte) (*PluginConfig[AccessLogPolicy], error) {
	var c PluginConfig[AccessLogPolicy]
	if len(bytes.TrimSpace(data)) == 0 {
		return &c, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("bad plugin configuration: %w", err)
	}
	if dec.More() {
		return nil, errors.New("bad plugin configuration: trailing data after the JSON object")
	}
	keys := make([]string, 0, len(c.Policies))
	for k := range c.Policies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := c.Policies[k]
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("policy %q: %w", k, err)
		}
	}
	if c.Default != "" {
		if _, ok := c.Policies[c.Default]; !ok {
			return nil, fmt.Errorf("default policy %q is not in policies", c.Default)
		}
	}
	for route, k := range c.Routes {
		if _, ok := c.Policies[k]; !ok {
			return nil, fmt.Errorf("route %q: policy %q is not in policies", route, k)
		}
	}
	return &c, nil
}

// Validate checks a policy with the filter's own parsers, so the controller
// rejects what the filter would refuse at plugin start. Errors name the entry
// and the offending operator or field.
func (p *AccessLogPolicy) Validate() error {
	var errs []error
	for i := range p.AccessLog {
		if err := p.AccessLog[i].validate(); err != nil {
			errs = append(errs, fmt.Errorf("accessLog[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (a *AccessLog) validate() error {
	switch {
	case a.FileSink == nil && a.OpenTelemetry == nil:
		return errors.New("needs a sink: fileSink or openTelemetry")
	case a.FileSink != nil && a.OpenTelemetry != nil:
		return errors.New("fileSink and openTelemetry are exclusive: use two entries")
	}
	if fs := a.FileSink; fs != nil {
		if fs.Path == "" {
			return errors.New("fileSink.path is required")
		}
		hasJSON := len(fs.JSONFormat) > 0 && string(fs.JSONFormat) != "null"
		if hasJSON == (fs.StringFormat != "") {
			return errors.New("fileSink needs exactly one of stringFormat and jsonFormat")
		}
	}
	if o := a.OpenTelemetry; o != nil {
		if o.Cluster == "" {
			return errors.New("openTelemetry.cluster is required")
		}
		if o.MaxBatchSize < 0 || o.MaxQueueSize < 0 {
			return errors.New("openTelemetry.maxBatchSize and maxQueueSize must not be negative")
		}
		if o.Attributes != nil {
			for _, kv := range o.Attributes.Values {
				if kv.Value.StringValue == nil {
					return fmt.Errorf("openTelemetry.attributes %q: only stringValue is supported", kv.Key)
				}
				if _, err := format.ParseText(*kv.Value.StringValue, format.Options{Unredacted: a.UnredactedHeaders}); err != nil {
					return fmt.Errorf("openTelemetry.attributes %q: %w", kv.Key, err)
				}
			}
		}
		if o.ResourceAttributes != nil {
			for _, kv := range o.ResourceAttributes.Values {
				if kv.Value.StringValue == nil {
					return fmt.Errorf("openTelemetry.resourceAttributes %q: only stringValue is supported", kv.Key)
				}
			}
		}
	}
	for _, h := range a.UnredactedHeaders {
		if !isSensitive(h) {
			return fmt.Errorf("unredactedHeaders: %q is not a redacted header (%s)", h, strings.Join(format.SensitiveHeaders, ", "))
		}
	}
	if _, err := a.ParseFormat(); err != nil {
		return err
	}
	if a.Filter != nil {
		if err := a.Filter.Validate(); err != nil {
			return fmt.Errorf("filter: %w", err)
		}
	}
	return nil
}

func isSensitive(h string) bool {
	for _, s := range format.SensitiveHeaders {
		if strings.EqualFold(s, h) {
			return true
		}
	}
	return false
}

// Validate checks the filter tree's shape and values.
func (f *AccessLogFilter) Validate() error {
	n := 0
	if f.AccessLogFilterType.count() > 0 {
		n++
	}
	if f.AndFilter != nil {
		n++
	}
	if f.OrFilter != nil {
		n++
	}
	if n != 1 {
		return errors.New("set exactly one filter, andFilter or orFilter")
	}
	check := func(name string, list []AccessLogFilterType) error {
		if list == nil {
			return nil
		}
		if len(list) < 2 {
			return fmt.Errorf("%s needs at least two filters", name)
		}
		for i := range list {
			if err := list[i].Validate(); err != nil {
				return fmt.Errorf("%s[%d]: %w", name, i, err)
			}
		}
		return nil
	}
	if err := check("andFilter", f.AndFilter); err != nil {
		return err
	}
	if err := check("orFilter", f.OrFilter); err != nil {
		return err
	}
	if f.AccessLogFilterType.count() > 0 {
		return f.AccessLogFilterType.Validate()
	}
	return nil
}

func (t *AccessLogFilterType) count() int {
	n := 0
	for _, set := range []bool{t.StatusCodeFilter != nil, t.DurationFilter != nil, t.NotHealthCheckFilter,
		t.TraceableFilter, t.HeaderFilter != nil, t.ResponseFlagFilter != nil, t.GrpcStatusFilter != nil, t.CELFilter != nil} {
		if set {
			n++
		}
	}
	return n
}

// Validate checks one filter.
func (t *AccessLogFilterType) Validate() error {
	if t.count() != 1 {
		return errors.New("set exactly one filter kind per filter")
	}
	switch {
	case t.StatusCodeFilter != nil:
		return t.StatusCodeFilter.validate("statusCodeFilter")
	case t.DurationFilter != nil:
		return t.DurationFilter.validate("durationFilter")
	case t.TraceableFilter:
		return errors.New("traceableFilter is not supported by wasp (the trace decision is not visible to Wasm)")
	case t.CELFilter != nil:
		return errors.New("celFilter is not supported by wasp")
	case t.HeaderFilter != nil:
		h := t.HeaderFilter.Header
		if h.Name == "" {
			return errors.New("headerFilter.header.name is required")
		}
		switch h.Type {
		case "", AccessLogHeaderExact:
		case AccessLogHeaderRegex:
			if _, err := regexp.Compile(h.Value); err != nil {
				return fmt.Errorf("headerFilter.header.value: %w", err)
			}
		default:
			return fmt.Errorf("headerFilter.header.type %q: want Exact or RegularExpression", h.Type)
		}
	case t.ResponseFlagFilter != nil:
		for _, fl := range t.ResponseFlagFilter.Flags {
			if _, ok := format.ResponseFlagBit(fl); !ok {
				return fmt.Errorf("responseFlagFilter: unknown flag %q (known: %s)", fl, strings.Join(format.ResponseFlagNames(), ","))
			}
		}
	case t.GrpcStatusFilter != nil:
		for _, s := range t.GrpcStatusFilter.Statuses {
			if _, ok := GrpcStatusCodes[s]; !ok {
				return fmt.Errorf("grpcStatusFilter: unknown status %q", s)
			}
		}
	}
	return nil
}

func (c *AccessLogComparison) validate(name string) error {
	switch c.Op {
	case AccessLogOpEQ, AccessLogOpGE, AccessLogOpLE:
		return nil
	}
	return fmt.Errorf("%s.op %q: want EQ, GE or LE", name, c.Op)
}
