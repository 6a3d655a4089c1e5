package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// kgatewayAccessLog is an HTTPListenerPolicy spec.accessLog in kgateway's
// shapes (seed 002 plus a filter), as JSON.
const kgatewayAccessLog = `{"accessLog":[{
  "fileSink":{"path":"/dev/stdout","jsonFormat":{"start_time":"%START_TIME%","response_code":"%RESPONSE_CODE%","response_flags":"%RESPONSE_FLAGS%"}},
  "filter":{"orFilter":[{"statusCodeFilter":{"op":"GE","value":400}},{"responseFlagFilter":{"flags":["RL","UH"]}}]}
},{
  "fileSink":{"path":"/dev/stderr","stringFormat":"%REQ(:METHOD)% %RESPONSE_CODE%\n"},
  "filter":{"headerFilter":{"header":{"type":"RegularExpression","name":"x-debug","value":"1|true"}}}
}]}`

func TestAccessLogPolicyRoundTrip(t *testing.T) {
	var p AccessLogPolicy
	if err := json.Unmarshal([]byte(kgatewayAccessLog), &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := p.AccessLog[0].Filter.OrFilter[0].StatusCodeFilter; got == nil || got.Op != "GE" || got.Value != 400 {
		t.Fatalf("statusCodeFilter = %+v", got)
	}
	if got := p.AccessLog[1].Filter.HeaderFilter; got == nil || got.Header.Name != "x-debug" {
		t.Fatalf("inline headerFilter = %+v", got)
	}
	b, err := json.Marshal(PluginConfig[AccessLogPolicy]{Policies: map[string]AccessLogPolicy{"l": p}, Default: "l"})
	if err != nil {
		t.Fatal(err)
	}
	var back PluginConfig[AccessLogPolicy]
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, got, ok := back.PolicyFor("any-route"); !ok || !reflect.DeepEqual(*got, p) {
		t.Fatalf("round trip changed the policy:\n%+v\n%+v", got, p)
	}
}

func TestAccessLogValidateErrors(t *testing.T) {
	str := func(s string) *string { return &s }
	file := func(f string) *AccessLogFileSink { return &AccessLogFileSink{Path: "/dev/stdout", StringFormat: f} }
	cases := []struct {
		name string
		log  AccessLog
		want string
	}{
		{"no sink", AccessLog{}, "needs a sink"},
		{"two sinks", AccessLog{FileSink: file("x"), OpenTelemetry: &AccessLogOpenTelemetry{Cluster: "c"}}, "exclusive"},
		{"no path", AccessLog{FileSink: &AccessLogFileSink{StringFormat: "x"}}, "fileSink.path"},
		{"both formats", AccessLog{FileSink: &AccessLogFileSink{Path: "p", StringFormat: "x", JSONFormat: json.RawMessage(`{}`)}}, "exactly one"},
		{"unknown operator", AccessLog{FileSink: file("%BYTES%")}, "operator %BYTES%"},
		{"json unknown operator", AccessLog{FileSink: &AccessLogFileSink{Path: "p", JSONFormat: json.RawMessage(`{"a":{"b":"%X_Y%"}}`)}}, `key "a.b": access log format "%X_Y%": operator %X_Y%`},
		{"otlp no cluster", AccessLog{OpenTelemetry: &AccessLogOpenTelemetry{}}, "cluster is required"},
		{"otlp bad body", AccessLog{OpenTelemetry: &AccessLogOpenTelemetry{Cluster: "c", Body: "%NOPE%"}}, "operator %NOPE%"},
		{"otlp bad attribute", AccessLog{OpenTelemetry: &AccessLogOpenTelemetry{Cluster: "c", Attributes: &AccessLogKeyValues{Values: []AccessLogKeyValue{{Key: "k", Value: AccessLogAnyValue{StringValue: str("%NOPE%")}}}}}}, `attributes "k"`},
		{"otlp non-string attribute", AccessLogOpenTelemetry{Cluster: "c", Attributes: &AccessLogKeyValues{Values: []AccessLogKeyValue{{Key: "k"}}}}.asLog(), "only stringValue"},
		{"unredact non-sensitive", AccessLog{FileSink: file("x"), UnredactedHeaders: []string{"x-api-key"}}, "not a redacted header"},
		{"filter empty", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{}}, "exactly one filter"},
		{"filter two kinds", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{AccessLogFilterType: AccessLogFilterType{NotHealthCheckFilter: true, TraceableFilter: true}}}, "exactly one filter kind"},
		{"and of one", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{AndFilter: []AccessLogFilterType{{NotHealthCheckFilter: true}}}}, "at least two"},
		{"bad op", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{AccessLogFilterType: AccessLogFilterType{DurationFilter: &AccessLogComparison{Op: "GT"}}}}, `durationFilter.op "GT"`},
		{"bad flag", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{OrFilter: []AccessLogFilterType{{NotHealthCheckFilter: true}, {ResponseFlagFilter: &AccessLogResponseFlagFilter{Flags: []string{"XX"}}}}}}, `orFilter[1]: responseFlagFilter: unknown flag "XX"`},
		{"bad regex", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{AccessLogFilterType: AccessLogFilterType{HeaderFilter: &AccessLogHeaderFilter{Header: AccessLogHeaderMatch{Type: "RegularExpression", Name: "a", Value: "("}}}}}, "headerFilter.header.value"},
		{"bad grpc status", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{AccessLogFilterType: AccessLogFilterType{GrpcStatusFilter: &AccessLogGrpcStatusFilter{Statuses: []string{"NOPE"}}}}}, `unknown status "NOPE"`},
		{"traceable", AccessLog{FileSink: file("x"), Filter: &AccessLogFilter{AccessLogFilterType: AccessLogFilterType{TraceableFilter: true}}}, "traceableFilter is not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := AccessLogPolicy{AccessLog: []AccessLog{{FileSink: file("ok")}, c.log}}
			err := p.Validate()
			if err == nil || !strings.Contains(err.Error(), "accessLog[1]: ") || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want accessLog[1] and %q", err, c.want)
			}
		})
	}
}

func (o AccessLogOpenTelemetry) asLog() AccessLog { return AccessLog{OpenTelemetry: &o} }

func TestAccessLogKeys(t *testing.T) {
	if got := AccessLogLineKey(2); got != "wasp_access_log_2" || strings.ContainsAny(got, ".\x00") {
		t.Fatalf("AccessLogLineKey(2) = %q: want one segment", got)
	}
	if got, want := AccessLogLineFormat(0), "%FILTER_STATE(wasm.wasp_access_log_0:PLAIN)%\n"; got != want {
		t.Fatalf("AccessLogLineFormat(0) = %q, want %q", got, want)
	}
	if got, want := AccessLogLinePresentCEL(1), "'wasm.wasp_access_log_1' in filter_state"; got != want {
		t.Fatalf("AccessLogLinePresentCEL(1) = %q, want %q", got, want)
	}
	if got, want := AccessLogNotSeenCEL, "!('wasm.wasp_access_log_seen' in filter_state)"; got != want {
		t.Fatalf("AccessLogNotSeenCEL = %q, want %q", got, want)
	}
	// The native logger's format must itself be a valid format.
	a := AccessLog{FileSink: &AccessLogFileSink{Path: "p", StringFormat: AccessLogLineFormat(0)}}
	if _, err := a.ParseFormat(); err != nil {
		t.Fatal(err)
	}
	if _, err := (&AccessLog{OpenTelemetry: &AccessLogOpenTelemetry{Cluster: "c"}}).ParseFormat(); err != nil {
		t.Fatalf("DefaultTextFormat: %v", err)
	}
}
