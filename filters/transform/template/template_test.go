package template

import (
	"errors"
	"strings"
	"testing"
)

const sampleBody = `{"user":{"name":"Ada","age":36,"admin":true,"tags":["x","y"]},
"items":[{"id":7,"price":2.5},{"id":8,"price":1}],"empty":"","nothing":null,"big":12345678901234567890}`

type renderCase struct {
	name string
	src  string
	body string // JSON body; "" for none
	want string
	// err is the expected parse or render error, "line:column: message"
	// prefix; empty for success.
	err string
}

var headers = map[string]string{"x-user": "ada", ":path": "/v1/items?q=1", "x-b64": "aGVsbG8gd29ybGQ=", "x-b64url": "aGk_Pz8"}
var requestHeaders = map[string]string{"x-req": "from-request", ":method": "POST"}

var renderCases = []renderCase{
	// Text, output and literals.
	{name: "plain text", src: "hello", want: "hello"},
	{name: "empty template", src: "", want: ""},
	{name: "lone brace is text", src: "a { b } c", want: "a { b } c"},
	{name: "string literal", src: `{{ "hi" }}`, want: "hi"},
	{name: "single quoted string", src: `{{ 'say "hi"' }}`, want: `say "hi"`},
	{name: "string escapes", src: `{{ "a\"b\\c\n" }}`, want: "a\"b\\c\n"},
	{name: "integer", src: "{{ 42 }}", want: "42"},
	{name: "float", src: "{{ 2.5 }}", want: "2.5"},
	{name: "integral float keeps .0", src: "{{ 2.0 }}", want: "2.0"},
	{name: "exponent", src: "{{ 1e3 }}", want: "1000.0"},
	{name: "booleans and null", src: "{{ true }} {{ False }} {{ null }}", want: "true false null"},
	{name: "list literal", src: `{{ [1, "a", null] }}`, want: `[1,"a",null]`},
	{name: "comment dropped", src: "a{# note #}b", want: "ab"},
	{name: "whitespace control", src: "a  {{- 1 -}}  b", want: "a1b"},
	{name: "statement whitespace control", src: "x\n{%- if true -%}\n y \n{%- endif %}", want: "xy"},
	// Paths into the JSON body.
	{name: "dotted path", src: "{{ user.name }}", body: sampleBody, want: "Ada"},
	{name: "array index path", src: "{{ items.0.id }}-{{ items.1.id }}", body: sampleBody, want: "7-8"},
	{name: "bracket index", src: `{{ user["name"] }}{{ items[1].price }}`, body: sampleBody, want: "Ada1"},
	{name: "missing path renders empty", src: "[{{ user.nope.deeper }}]", body: sampleBody, want: "[]"},
	{name: "index out of range", src: "[{{ items.5.id }}]", body: sampleBody, want: "[]"},
	{name: "json null", src: "{{ nothing }}", body: sampleBody, want: "null"},
	{name: "object as json", src: "{{ items.0 }}", body: sampleBody, want: `{"id":7,"price":2.5}`},
	{name: "array as json", src: "{{ user.tags }}", body: sampleBody, want: `["x","y"]`},
	{name: "big integer becomes a float", src: "{{ big }}", body: sampleBody, want: "1.2345678901234567e+19"},
	{name: "no body means undefined", src: "[{{ user.name }}]", want: "[]"},
	// Operators.
	{name: "arithmetic", src: "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 % 3 }} {{ 1 / 2 }} {{ -3 - -1 }}", want: "7 9 1 0.5 -2"},
	{name: "mixed arithmetic", src: "{{ items.0.price * 2 }}", body: sampleBody, want: "5.0"},
	{name: "int overflow becomes float", src: "{{ 9223372036854775807 + 1 }}", want: "9.223372036854776e+18"},
	{name: "string concatenation", src: `{{ "a" + "b" }}{{ "n" ~ 1 ~ true }}`, want: "abn1true"},
	{name: "comparisons", src: "{{ 1 < 2 }} {{ 2 <= 1 }} {{ 3 > 2.5 }} {{ 2 >= 2 }} {{ \"a\" < \"b\" }}", want: "true false true true true"},
	{name: "equality across number kinds", src: "{{ 1 == 1.0 }} {{ 1 != 2 }} {{ \"1\" == 1 }}", want: "true true false"},
	{name: "deep equality", src: `{{ user.tags == ["x", "y"] }}`, body: sampleBody, want: "true"},
	{name: "boolean operators", src: "{{ true and false }} {{ false or 1 }} {{ not 0 }} {{ not user.admin }}", body: sampleBody, want: "false true true false"},
	{name: "short circuit skips errors", src: "{{ false and 1 / 0 }} {{ true or 1 / 0 }}", want: "false true"},
	{name: "in operator", src: `{{ "x" in user.tags }} {{ "name" in user }} {{ "da" in user.name }} {{ "z" not in user.tags }}`, body: sampleBody, want: "true true true true"},
	// Statements.
	{name: "if true", src: "{% if user.admin %}admin{% endif %}", body: sampleBody, want: "admin"},
	{name: "if else", src: "{% if user.age < 18 %}minor{% else %}adult{% endif %}", body: sampleBody, want: "adult"},
	{name: "elif chain", src: "{% if 0 %}a{% elif empty %}b{% elif user.name == \"Ada\" %}c{% else %}d{% endif %}", body: sampleBody, want: "c"},
	{name: "else if spelling", src: "{% if false %}a{% else if true %}b{% endif %}", want: "b"},
	{name: "kgateway docs example", src: `level_{%- if user != "" -%}{{user.name}}{% else %}unknown{% endif %}`, body: sampleBody, want: "level_Ada"},
	{name: "for over list", src: "{% for t in user.tags %}<{{ t }}>{% endfor %}", body: sampleBody, want: "<x><y>"},
	{name: "for with loop vars", src: "{% for i in items %}{{ loop.index }}/{{ loop.index1 }}:{{ i.id }}{% if not loop.is_last %},{% endif %}{% endfor %}", body: sampleBody, want: "0/1:7,1/2:8"},
	{name: "for over object values", src: "{% for v in user %}{{ v }};{% endfor %}", body: `{"user":{"b":2,"a":1}}`, want: "1;2;"},
	{name: "for key value", src: "{% for k, v in user %}{{ k }}={{ v }};{% endfor %}", body: `{"user":{"b":2,"a":1}}`, want: "a=1;b=2;"},
	{name: "loop object printed", src: "{% for x in [1] %}{{ loop }}{% endfor %}", want: `{"first":true,"index":0,"index1":1,"is_first":true,"is_last":true,"last":true,"length":1}`},
	{name: "nested loops and parent", src: "{% for a in [1,2] %}{% for b in [3,4] %}{{ loop.parent.index }}{{ a * b }} {% endfor %}{% endfor %}", want: "03 04 16 18 "},
	{name: "for over missing is empty", src: "[{% for x in nope %}x{% endfor %}]", want: "[]"},
	{name: "set variable", src: "{% set n = user.name ~ \"!\" %}{{ n }}{{ n }}", body: sampleBody, want: "Ada!Ada!"},
	{name: "set shadows body key", src: "{% set user = 1 %}{{ user }}", body: sampleBody, want: "1"},
	// kgateway functions.
	{name: "header", src: `{{ header("X-User") }}|{{ header(":path") }}|{{ header("missing") }}|`, want: "ada|/v1/items?q=1||"},
	{name: "request_header", src: `{{ request_header("x-req") }} {{ request_header(":method") }}`, want: "from-request POST"},
	{name: "body", src: "{{ body() }}", body: `{"a":1}`, want: `{"a":1}`},
	{name: "context", src: "{{ context() }}", body: `{"b":[1,2],"a":"x"}`, want: `{"a":"x","b":[1,2]}`},
	{name: "context without body", src: "{{ context() }}", want: "null"},
	{name: "base64", src: `{{ base64_encode("hello world") }} {{ base64_decode(header("x-b64")) }}`, want: "aGVsbG8gd29ybGQ= hello world"},
	{name: "base64 unpadded", src: `{{ base64_decode("aGk") }}`, want: "hi"},
	{name: "base64url", src: `{{ base64url_encode("hi???") }} {{ base64url_decode(header("x-b64url")) }}`, want: "aGk_Pz8 hi???"},
	{name: "substring", src: `{{ substring("hello", 1, 3) }}|{{ substring("hello", 2) }}|{{ substring("hello", 9) }}|{{ substring("héllo", 1, 1) }}|{{ substring("hello", 1, 0) }}|{{ substring("hello", 1, -2) }}`, want: "ell|llo||é|ello|ello"},
	{name: "replace_with_string", src: `{{ replace_with_string(header(":path"), "/v1", "/v2") }}`, want: "/v2/items?q=1"},
	{name: "raw_string", src: `{"msg":"{{ raw_string(body()) }}"}`, body: `{"q":"a\"b"}`, want: `{"msg":"{\"q\":\"a\\\"b\"}"}`},
	{name: "env", src: `[{{ env("WASP_TEMPLATE_TEST") }}][{{ env("WASP_TEMPLATE_UNSET") }}]`, want: "[from-env][]"},
	// Common built-ins.
	{name: "length", src: "{{ length(user.tags) }} {{ length(\"héllo\") }} {{ length(user) }}", body: sampleBody, want: "2 5 4"},
	{name: "pipe filters", src: "{{ user.name | upper }} {{ \"ABC\" | lower }} {{ user.tags | join(\"+\") }}", body: sampleBody, want: "ADA abc x+y"},
	{name: "default", src: "{{ default(user.nick, \"none\") }} {{ user.name | default(\"x\") }}", body: sampleBody, want: "none Ada"},
	{name: "exists", src: `{{ exists("user.name") }} {{ exists("user.nick") }} {{ existsIn(user, "age") }}`, body: sampleBody, want: "true false true"},
	{name: "first last range", src: "{{ first(user.tags) }}{{ last(user.tags) }}{% for i in range(3) %}{{ i }}{% endfor %}", body: sampleBody, want: "xy012"},
	{name: "conversions", src: `{{ int("42") + 1 }} {{ float("1.5") }} {{ round(2.567, 2) }} {{ round(2.5) }} {{ capitalize("aDA") }} [{{ trim("  t ") }}]`, want: "43 1.5 2.57 3 Ada [t]"},
	// Parse errors, with positions.
	{name: "err unclosed output", src: "ab {{ user.name", err: "1:4: unclosed {{: missing }}"},
	{name: "err unclosed statement", src: "x\n  {% if true ", err: "2:3: unclosed {%: missing %}"},
	{name: "err unclosed comment", src: "{# x", err: "1:1: unclosed comment"},
	{name: "err missing endif", src: "a\n{% if x %}b", err: "2:4: unclosed {% if %}: missing {% endif %}"},
	{name: "err missing endfor", src: "{% for x in y %}", err: "1:4: unclosed {% for %}: missing {% endfor %}"},
	{name: "err stray endif", src: "a {% endif %}", err: "1:6: unexpected {% endif %} with no open block"},
	{name: "err endfor closes if", src: "{% if a %}{% endfor %}", err: "1:14: unexpected {% endfor %}: the {% if %} at 1:4 is still open"},
	{name: "err elif after else", src: "{% if a %}{% else %}{% elif b %}{% endif %}", err: "1:24: unexpected {% elif %} after {% else %}"},
	{name: "err unknown statement", src: "{% while x %}", err: `1:4: unknown statement "while"`},
	{name: "err unknown function", src: "{{ extraction(\"id\") }}", err: `1:4: unknown function "extraction"`},
	{name: "err arity", src: "\n{{ substring(\"a\") }}", err: "2:4: substring takes 2 to 3 arguments, got 1"},
	{name: "err unterminated string", src: `{{ "abc }}`, err: "1:4: unterminated string"},
	{name: "err bad escape", src: `{{ "a\q" }}`, err: `1:6: unknown escape \q in string`},
	{name: "err bad character", src: "{{ a $ b }}", err: `1:6: unexpected character "$"`},
	{name: "err missing operand", src: "{{ 1 + }}", err: `1:8: expected a value, found "}}"`},
	{name: "err two values", src: "{{ a b }}", err: `1:6: expected }}, found "b"`},
	{name: "err for without in", src: "{% for x of y %}{% endfor %}", err: `1:10: expected "in" in {% for %}, found "of"`},
	{name: "err set without equals", src: "{% set x 1 %}", err: `1:10: expected "=" after {% set x, found "1"`},
	{name: "err unclosed paren", src: "{{ (1 + 2 }}", err: `1:11: expected ")", found "}}"`},
	{name: "err bad args", src: "{{ upper(\"a\" \"b\") }}", err: `1:14: expected "," or ")" in arguments`},
	{name: "err nesting", src: "{{ " + strings.Repeat("(", MaxNesting+1) + "1" + strings.Repeat(")", MaxNesting+1) + " }}", err: "nesting deeper than 64"},
	{name: "err number too big", src: "{{ 1e999 }}", err: `1:4: invalid number "1e999"`},
	{name: "err keyword as value", src: "{{ and }}", err: `1:4: unexpected keyword "and"`},
	{name: "err multiline column counts runes", src: "héllo\nwörld {{ } }}", err: `2:10: unexpected character "}"`},
	// Render errors, with positions.
	{name: "err division by zero", src: "x\n{{ 1 / 0 }}", err: "2:6: division by zero"},
	{name: "err modulo by zero", src: "{{ 1 % 0 }}", err: "1:6: modulo by zero"},
	{name: "err string minus", src: `{{ "a" - 1 }}`, err: "1:8: cannot compute string - number"},
	{name: "err compare mixed", src: `{{ "a" < 1 }}`, err: "1:8: cannot compare string < number"},
	{name: "err negate string", src: `{{ -"a" }}`, err: "1:4: cannot negate string"},
	{name: "err loop over number", src: "{% for x in 3 %}{% endfor %}", err: "1:13: cannot loop over number"},
	{name: "err key value over list", src: "{% for k, v in [1] %}{% endfor %}", err: "1:16: for k, v needs an object, got array"},
	{name: "err bad base64", src: `{{ base64_decode("%%%") }}`, err: "1:4: base64_decode: input is not valid base64"},
	{name: "err int of text", src: `{{ int("x") }}`, err: `1:4: int: "x" is not an integer`},
	{name: "err join non list", src: `{{ join(1, ",") }}`, err: "1:4: join: needs an array, got number"},
}

func renderCaseInput(t testing.TB, body string) *Input {
	in := &Input{Headers: headers, RequestHeaders: requestHeaders, Body: body}
	if body != "" {
		v, err := DecodeJSON([]byte(body))
		if err != nil {
			t.Fatalf("bad test body: %v", err)
		}
		in.JSON = v
	}
	return in
}

func TestRenderTable(t *testing.T) {
	t.Setenv("WASP_TEMPLATE_TEST", "from-env")
	if len(renderCases) < 60 {
		t.Fatalf("the issue asks for at least 60 cases, have %d", len(renderCases))
	}
	for _, tc := range renderCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := renderString(tc.src, renderCaseInput(t, tc.body), Limits{})
			if tc.err != "" {
				if err == nil {
					t.Fatalf("want error %q, got output %q", tc.err, got)
				}
				var te *Error
				if !errors.As(err, &te) {
					t.Fatalf("error %v is not a *template.Error", err)
				}
				if !strings.HasPrefix(err.Error(), tc.err) && !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error\n got %q\nwant %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if got != tc.want {
				t.Fatalf("output\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func renderString(src string, in *Input, lim Limits) (string, error) {
	tmpl, err := Parse(src)
	if err != nil {
		return "", err
	}
	return tmpl.Render(in, lim)
}

func TestUsesBody(t *testing.T) {
	cases := []struct {
		src            string
		usesBody, json bool
	}{
		{`{{ header("x") }}`, false, false},
		{`static`, false, false},
		{`{{ body() }}`, true, false},
		{`{{ context() }}`, true, true},
		{`{{ user.name }}`, true, true},
		{`{% for x in [1,2] %}{{ x }}{{ loop.index }}{% endfor %}`, false, false},
		{`{% for x in [1,2] %}{% endfor %}{{ x }}`, true, true},
		{`{% set n = 1 %}{{ n }}`, false, false},
		{`{{ n }}{% set n = 1 %}`, true, true},
		{`{{ exists("a") }}`, true, true},
	}
	for _, c := range cases {
		tmpl, err := Parse(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if tmpl.UsesBody() != c.usesBody || tmpl.UsesJSONContext() != c.json {
			t.Errorf("%s: UsesBody=%v UsesJSONContext=%v, want %v %v", c.src, tmpl.UsesBody(), tmpl.UsesJSONContext(), c.usesBody, c.json)
		}
	}
}

func TestDecodeJSONRejectsTrailingData(t *testing.T) {
	for _, bad := range []string{`{"a":1} x`, `{"a":1}{}`, `{`, `not json`, ``} {
		if _, err := DecodeJSON([]byte(bad)); err == nil {
			t.Errorf("DecodeJSON(%q) succeeded", bad)
		}
	}
	if _, err := DecodeJSON([]byte(" [1, 2] \n")); err != nil {
		t.Errorf("valid JSON rejected: %v", err)
	}
}

func TestReplaceWithRandom(t *testing.T) {
	in := renderCaseInput(t, "")
	in.Body = `{"a":"all","b":"all","c":"x"}`
	out, err := renderString(`{{ replace_with_random(body(), "all") }}`, in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := DecodeJSON([]byte(out))
	if err != nil {
		t.Fatalf("output %q is not JSON: %v", out, err)
	}
	m := v.(map[string]any)
	a, b := m["a"].(string), m["b"].(string)
	if a == "all" || len(a) != 22 || a != b || m["c"] != "x" {
		t.Fatalf("want one 22-character random string in place of every \"all\", got %q", out)
	}
	again, _ := renderString(`{{ replace_with_random(body(), "all") }}`, in, Limits{})
	if again == out {
		t.Fatalf("two renders gave the same random string %q", out)
	}
}
