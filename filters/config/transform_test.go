package config

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestTransformValidate(t *testing.T) {
	cases := []struct {
		name, policy, err string
	}{
		{"ok headers and body", `{"request":{"set":[{"name":":path","value":"/x"}],"add":[{"name":"x-a","value":"{{ header(\"b\") }}"}],"remove":["x-r"],"body":{"parseAs":"AsJson","value":"{{ user.name }}"}},"response":{"set":[{"name":":status","value":"201"}]}}`, ""},
		{"ok body() without body block", `{"request":{"set":[{"name":"x-a","value":"{{ body() }}"}]}}`, ""},
		{"header template error", `{"request":{"set":[{"name":"x-a","value":"a\n{{ 1 + }}"}]}}`,
			`request.set[0].value: header "x-a": template error at 2:8: expected a value, found "}}"`},
		{"body template error", `{"response":{"body":{"value":"{% for x in y %}"}}}`,
			`response.body.value: body: template error at 1:4: unclosed {% for %}: missing {% endfor %}`},
		{"json path without AsJson", `{"request":{"add":[{"name":"x-a","value":"{{ user.name }}"}]}}`,
			`request.add[0].value: header "x-a": the template reads the JSON body`},
		{"json path with AsString", `{"request":{"body":{"parseAs":"AsString","value":"{{ context() }}"}}}`,
			`request.body.value: body: the template reads the JSON body`},
		{"bad parseAs", `{"request":{"body":{"parseAs":"AsXml"}}}`, `request.body.parseAs: "AsXml" is not one of AsString, AsJson`},
		{"missing name", `{"request":{"set":[{"value":"x"}]}}`, `request.set[0].name: is required`},
		{"bad name", `{"request":{"set":[{"name":"x a","value":"x"}]}}`, `request.set[0].name: "x a" is not a valid header name`},
		{"duplicate set", `{"request":{"set":[{"name":"x-a","value":"1"},{"name":"X-A","value":"2"}]}}`, `request.set[1].name: header "X-A" appears twice in set`},
		{"status on request", `{"request":{"set":[{"name":":status","value":"200"}]}}`, `request.set[0].name: pseudo-header ":status" cannot be set here`},
		{"path on response", `{"response":{"set":[{"name":":path","value":"/"}]}}`, `response.set[0].name: pseudo-header ":path" cannot be set here`},
		{"add pseudo", `{"request":{"add":[{"name":":path","value":"/"}]}}`, `request.add[0].name: pseudo-header ":path" cannot be added`},
		{"remove pseudo", `{"request":{"remove":[":path"]}}`, `request.remove[0]: pseudo-header ":path" cannot be removed`},
		{"framing header", `{"response":{"set":[{"name":"Content-Length","value":"1"}]}}`, `response.set[0].name: "Content-Length" is managed by the filter`},
		{"too many", `{"request":{"remove":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]}}`, `request.remove: has 17 entries, more than 16`},
		{"negative body limit", `{"maxBodyBytes":-1}`, `maxBodyBytes: must be between 1 and 67108864, got -1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tr Transformation
			if err := json.Unmarshal([]byte(c.policy), &tr); err != nil {
				t.Fatal(err)
			}
			err := tr.Validate()
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.err != "" && err == nil:
				t.Fatalf("want error %q", c.err)
			case c.err != "" && !strings.Contains(err.Error(), c.err):
				t.Fatalf("error\n got %q\nwant %q", err, c.err)
			}
		})
	}
}

func TestParseTransformPlugin(t *testing.T) {
	for _, c := range []struct{ data, err string }{
		{``, "is empty"},
		{`{"policies":{"p":{}},"routes":{"r":"q"}}`, `routes["r"]: names policy "q", which is not in policies`},
		{`{"policies":{"p":{}},"default":"q"}`, `default: names policy "q"`},
		{`{"policies":{"p":{"request":{"sett":[]}}}}`, `unknown field "sett"`},
		{`{"policies":{"p":{"request":{"set":[{"name":"x","value":"{{"}]}}}}`, `policies["p"].request.set[0].value: header "x": template error at 1:1: unclosed {{: missing }}`},
		{`{} {}`, "trailing data"},
	} {
		if _, err := ParseTransformPlugin([]byte(c.data)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseTransformPlugin(%s): error %v, want %q", c.data, err, c.err)
		}
	}
}

// What the translator writes is what the filter reads: a config built in Go,
// marshalled and parsed back, is the same value.
func TestTransformRoundTrip(t *testing.T) {
	body := `{"id": {{ user.id }}}`
	want := &PluginConfig[Transformation]{
		Policies: map[string]Transformation{
			"default/tp@httproute/default/r": {
				Request: &Transform{
					Set:    []HeaderTransformation{{Name: ":path", Value: `{{ replace_with_string(header(":path"), "/a", "/b") }}`}},
					Add:    []HeaderTransformation{{Name: "x-a", Value: "1"}},
					Remove: []string{"x-r"},
					Body:   &BodyTransformation{ParseAs: BodyParseAsJSON, Value: &body},
				},
				Response:     &Transform{Set: []HeaderTransformation{{Name: ":status", Value: "201"}}},
				MaxBodyBytes: 4096,
			},
		},
		Routes: map[string]string{"default/r/rule-0": "default/tp@httproute/default/r"},
	}
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseTransformPlugin(data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip changed the config:\n got %+v\nwant %+v", got, want)
	}
}
