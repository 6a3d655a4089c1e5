package transform

import (
	"encoding/json"
	"testing"

	"wasp.dev/filters/config"
)

// FuzzExchange: any template that passes validation, on any body, either
// transforms the request or answers with one of the documented local
// replies; the filter never panics or stalls.
func FuzzExchange(f *testing.F) {
	for _, c := range exchangeCases {
		if len(c.reqChunks) > 0 {
			f.Add(`{{ user.name }}-{{ body() }}`, c.reqChunks[0])
		}
	}
	f.Add(`{% for i in items %}{{ i.sku }}{% endfor %}`, jsonBody)
	f.Add(`{{ base64_decode(body()) }}`, "aGk=")
	f.Fuzz(func(t *testing.T, tmpl, body string) {
		pol := config.Transformation{
			MaxBodyBytes: 1 << 12,
			Request: &config.Transform{
				Set:  []config.HeaderTransformation{{Name: "x-out", Value: tmpl}},
				Body: &config.BodyTransformation{ParseAs: config.BodyParseAsJSON, Value: &tmpl},
			},
		}
		if pol.Validate() != nil {
			return
		}
		policy, err := json.Marshal(pol)
		if err != nil {
			t.Fatal(err)
		}
		c := &exchangeCase{policy: string(policy), reqHeaders: post(""), reqChunks: []string{body}}
		o := runNative(t, c)
		switch o.status {
		case 200, 400, 413:
		default:
			t.Fatalf("status %d (body %q)", o.status, o.clientBody)
		}
	})
}
