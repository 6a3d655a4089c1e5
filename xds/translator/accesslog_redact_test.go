package translator

import (
	"encoding/json"
	"testing"

	filev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/file/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"wasp.dev/filters/config"
)

// TestFallbackFormatRedacts: the native fallback logger's format has the
// redaction rule applied (the literal in place of sensitive headers'
// operators), for text and JSON formats, honouring unredactedHeaders.
func TestFallbackFormatRedacts(t *testing.T) {
	native := func(e config.AccessLog) *filev3.FileAccessLog {
		t.Helper()
		l, err := fallbackLogger("test", &e)
		if err != nil {
			t.Fatal(err)
		}
		var fa filev3.FileAccessLog
		if err := l.GetTypedConfig().UnmarshalTo(&fa); err != nil {
			t.Fatal(err)
		}
		return &fa
	}
	text := native(config.AccessLog{FileSink: &config.AccessLogFileSink{Path: "/dev/stdout",
		StringFormat: "%REQ(AUTHORIZATION)% %REQ(X-A?COOKIE):4% %RESP(SET-COOKIE)% %REQ(PROXY-AUTHORIZATION)% %REQ(USER-AGENT)%"}})
	if got := text.GetLogFormat().GetTextFormatSource().GetInlineString(); got != "[REDACTED] [REDACTED] [REDACTED] [REDACTED] %REQ(USER-AGENT)%\n" {
		t.Errorf("text format %q", got)
	}
	optIn := native(config.AccessLog{UnredactedHeaders: []string{"Cookie"}, FileSink: &config.AccessLogFileSink{Path: "/dev/stdout",
		StringFormat: "%REQ(AUTHORIZATION)% %REQ(COOKIE)%"}})
	if got := optIn.GetLogFormat().GetTextFormatSource().GetInlineString(); got != "[REDACTED] %REQ(COOKIE)%\n" {
		t.Errorf("opted-in text format %q", got)
	}
	js := native(config.AccessLog{FileSink: &config.AccessLogFileSink{Path: "/dev/stdout",
		JSONFormat: json.RawMessage(`{"a":"%REQ(AUTHORIZATION)%","n":{"l":["%REQ(COOKIE)%",1,"%REQ(:PATH)%"]}}`)}})
	b, err := protojson.Marshal(js.GetLogFormat().GetJsonFormat())
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	_ = json.Unmarshal(b, &got)
	_ = json.Unmarshal([]byte(`{"a":"[REDACTED]","n":{"l":["[REDACTED]",1,"%REQ(:PATH)%"]}}`), &want)
	if gb, _ := json.Marshal(got); string(gb) != mustJSON(want) {
		t.Errorf("JSON format %s", gb)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
