package format

import (
	"encoding/json"
	"testing"
)

// FuzzParse feeds arbitrary formats to both parsers. Whatever parses must
// render without panicking, and a JSON format must always render valid JSON
// (even with hostile header values), keys in sorted order.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		seedJSONFormat, `{"a":"%REQ(X?Y):3%","b":{"c":1,"d":"x %START_TIME(%s%3f)% y"}}`,
		"%START_TIME(%Y-%m-%dT%H:%M:%E3SZ)% %REQ(:METHOD)%\n", "%%", "%REQ(", "%A(B):1%", `{"a":[1]}`,
		"%FILTER_STATE(k:PLAIN):4%", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "\xff%RESPONSE_FLAGS%", `{"a":[1,"%REQ(X)%",{"b":2.5}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src := rateLimitedGet()
		src.headers[RequestHeader]["x"] = s
		src.headers[RequestHeader][":method"] = "\"\\\x00\xff"
		if tf, err := ParseText(s, Options{}); err == nil {
			tf.Append(nil, src)
		}
		jf, err := ParseJSON([]byte(s), Options{})
		if err != nil {
			return
		}
		out := jf.Append(nil, src)
		if !json.Valid(out) {
			t.Fatalf("format %q rendered invalid JSON: %s", s, out)
		}
	})
}
