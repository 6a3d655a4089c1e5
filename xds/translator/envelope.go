package translator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"wasp.dev/filters/config"
)

// encodeEnvelope writes a plugin configuration as the JSON that
// config.PluginConfig reads: keys sorted, empty fields omitted, policies
// compacted. It is hand-written because at 10 000 routes reflection-based
// json.Marshal was a tenth of Translate's time; TestEnvelopeEncoding checks
// that encoding/json decodes it to the same value.
func encodeEnvelope(env config.PluginConfig[json.RawMessage]) ([]byte, error) {
	size := 64
	for k, v := range env.Policies {
		size += len(k) + len(v) + 4
	}
	for k, v := range env.Routes {
		size += len(k) + len(v) + 6
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	b.WriteByte('{')
	sep := false
	if len(env.Policies) > 0 {
		b.WriteString(`"policies":{`)
		for i, k := range sortedKeys(env.Policies) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			v := env.Policies[k]
			if len(v) == 0 {
				return nil, fmt.Errorf("policy %q: empty configuration", k)
			}
			if err := json.Compact(b, v); err != nil {
				return nil, fmt.Errorf("policy %q: %w", k, err)
			}
		}
		b.WriteByte('}')
		sep = true
	}
	if len(env.Routes) > 0 {
		if sep {
			b.WriteByte(',')
		}
		b.WriteString(`"routes":{`)
		for i, k := range sortedKeys(env.Routes) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, k)
			b.WriteByte(':')
			writeString(b, env.Routes[k])
		}
		b.WriteByte('}')
		sep = true
	}
	if env.Default != "" {
		if sep {
			b.WriteByte(',')
		}
		b.WriteString(`"default":`)
		writeString(b, env.Default)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeString writes s as a JSON string. Names and keys are plain ASCII in
// practice; anything else goes through strconv's escaping, which JSON
// accepts except for \x escapes, so those rare strings use encoding/json.
func writeString(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(s)
			b.Write(q)
			return
		}
	}
	b.WriteString(strconv.Quote(s))
}
