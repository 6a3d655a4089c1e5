package translate

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"wasp.dev/controller/api/v1alpha1"
)

func TestCheckAccessLogPath(t *testing.T) {
	for _, c := range []struct {
		path, dir string
		ok        bool
	}{
		{"/dev/stdout", "", true},
		{"/dev/stderr", "/srv/logs", true},
		{"/var/log/wasp/access.log", "", true},
		{"/var/log/wasp/tenant/a.log", "", true},
		{"/srv/logs/a.log", "/srv/logs/", true},
		{"/var/log/wasp", "", false}, // the directory itself
		{"/var/log/wasp/../../etc/passwd", "", false},
		{"/var/log/wasp/./a.log", "", false},
		{"/var/log/wasplog", "", false},
		{"/etc/passwd", "", false},
		{"/dev/sda", "", false},
		{"access.log", "", false},
		{"/srv/logs/a.log", "", false},
	} {
		msg := CheckAccessLogPath(c.path, c.dir)
		if (msg == "") != c.ok {
			t.Errorf("CheckAccessLogPath(%q, %q) = %q, want ok=%v", c.path, c.dir, msg, c.ok)
		}
	}
}

// TestValidateRoute: each problem is found and named by its field; the
// fields Envoy accepts pass.
func TestValidateRoute(t *testing.T) {
	for _, c := range []struct{ name, rule, want string }{
		{"valid regexes", `{matches: [{path: {type: RegularExpression, value: "/v[0-9]+"}, headers: [{type: RegularExpression, name: x, value: "a|b"}]}]}`, ""},
		{"unbalanced", `{matches: [{path: {type: RegularExpression, value: "((("}}]}`, "spec.rules[0].matches[0].path.value: regex"},
		{"backreference (Perl, not RE2)", `{matches: [{headers: [{type: RegularExpression, name: x, value: '(a)\1'}]}]}`, "spec.rules[0].matches[0].headers[0].value"},
		{"lookahead (PCRE, not RE2)", `{matches: [{queryParams: [{type: RegularExpression, name: q, value: 'a(?=b)'}]}]}`, "spec.rules[0].matches[0].queryParams[0].value"},
		{"program too large", `{matches: [{path: {type: RegularExpression, value: "/(a|b|c|d){40}"}}]}`, "above Envoy's limit"},
		{"prefix without slash", `{matches: [{path: {type: PathPrefix, value: "api"}}]}`, "spec.rules[0].matches[0].path.value"},
		{"header name with space", `{matches: [{headers: [{name: "x y", value: v}]}]}`, "spec.rules[0].matches[0].headers[0].name"},
		{"CRLF in a header value", `{filters: [{type: ResponseHeaderModifier, responseHeaderModifier: {add: [{name: x, value: "a\r\nSet-Cookie: s"}]}}]}`, "spec.rules[0].filters[0].responseHeaderModifier.add[0].value"},
		{"4 KiB and one", `{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: x, value: "` + strings.Repeat("v", 4097) + `"}]}}]}`, "longer than 4096"},
		{"remove :path", `{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {remove: [":path"]}}]}`, "spec.rules[0].filters[0].requestHeaderModifier.remove[0]"},
		{"zero backoff", `{retry: {attempts: 1, backoff: 0s}}`, "spec.rules[0].retry.backoff"},
		{"timeout not a duration", `{timeouts: {request: soon}}`, "spec.rules[0].timeouts.request"},
		{"prefix rewrite on exact match", `{matches: [{path: {type: Exact, value: /a}}], filters: [{type: URLRewrite, urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /b}}}]}`, "replacePrefixMatch"},
		{"redirect code", `{filters: [{type: RequestRedirect, requestRedirect: {statusCode: 399}}]}`, "spec.rules[0].filters[0].requestRedirect.statusCode"},
		{"weight", `{backendRefs: [{name: a, port: 80, weight: 2000000}]}`, "spec.rules[0].backendRefs[0].weight"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var rule gwv1.HTTPRouteRule
			if err := yaml.Unmarshal([]byte(c.rule), &rule); err != nil {
				t.Fatal(err)
			}
			r := &gwv1.HTTPRoute{Spec: gwv1.HTTPRouteSpec{Rules: []gwv1.HTTPRouteRule{rule}}}
			p := validateRoute(r)
			switch {
			case c.want == "" && p != nil:
				t.Fatalf("refused: %s", p)
			case c.want != "" && p == nil:
				t.Fatalf("accepted; want %q", c.want)
			case c.want != "" && !strings.Contains(p.String(), c.want):
				t.Fatalf("%q lacks %q", p, c.want)
			}
		})
	}
}

// TestValidateTrafficPolicyBounds: the bounds hold on values the CRD's
// older schema admitted.
func TestValidateTrafficPolicyBounds(t *testing.T) {
	tp := func(fill string, n, size int) *v1alpha1.TrafficPolicy {
		p := &v1alpha1.TrafficPolicy{}
		var dur metav1.Duration
		if err := dur.UnmarshalJSON([]byte(`"` + fill + `"`)); err != nil {
			t.Fatal(err)
		}
		p.Spec.RateLimit = &v1alpha1.RateLimit{Local: &v1alpha1.LocalRateLimitPolicy{TokenBucket: &v1alpha1.TokenBucket{MaxTokens: 1, FillInterval: dur}}}
		tr := &v1alpha1.Transform{}
		for i := range n {
			tr.Add = append(tr.Add, v1alpha1.HeaderTransformation{Name: v1alpha1.HeaderName("x-" + string(rune('a'+i))), Value: v1alpha1.Template(strings.Repeat("v", size))})
		}
		p.Spec.Transformation = &v1alpha1.TransformationPolicy{Response: tr}
		return p
	}
	if rl, tr := validateTrafficPolicy(tp("24h", 4, 4096)); rl != "" || tr != "" {
		t.Fatalf("in bounds refused: %q %q", rl, tr)
	}
	if rl, _ := validateTrafficPolicy(tp("99999h99999h99999h99999h", 0, 0)); !strings.Contains(rl, "rateLimit.local.tokenBucket.fillInterval") {
		t.Fatalf("45 years: %q", rl)
	}
	if _, tr := validateTrafficPolicy(tp("1s", 16, 4096)); !strings.Contains(tr, "transformation.response: the set and add values total 65536 bytes") {
		t.Fatalf("16 x 4 KiB: %q", tr)
	}
}
